# bash completion for mssclamp-cmd(1); installed as
# /usr/share/bash-completion/completions/mssclamp-cmd.
# The option list is checked against the command's own (completion_test.go).

_mssclamp_cmd_zones() {
	# Zones and policies: firewalld's when it runs, else mssclampd's files.
	local kind=$1 dir=/etc/firewalld/mssclamp/$1
	if [[ $kind == zones ]] && firewall-cmd --state &>/dev/null; then
		firewall-cmd --get-zones 2>/dev/null
	elif [[ $kind == policies ]] && firewall-cmd --state &>/dev/null; then
		firewall-cmd --get-policies 2>/dev/null
	elif [[ -d $dir ]]; then
		local f
		for f in "$dir"/*.xml; do
			[[ -e $f ]] && f=${f##*/} && printf '%s\n' "${f%.xml}"
		done
	fi
}

_mssclamp_cmd() {
	local cur prev words cword split
	_init_completion -s || return

	# An option's value: the choices it takes (none for free text), else
	# the options.
	local choices
	case $prev in
	--zone) choices=$(_mssclamp_cmd_zones zones) ;;
	--policy) choices=$(_mssclamp_cmd_zones policies) ;;
	--output) choices="text json" ;;
	--backend) choices="auto nftables iptables" ;;
	--family) choices="ipv4 ipv6" ;;
	--encap) choices="none pppoe gre ipip 6in4 wireguard vxlan geneve ipsec openvpn-udp" ;;
	--mtu-of) _available_interfaces ;;
	--from) _filedir xml ;;
	--config-dir) _filedir -d ;;
	--timeout | --add-rich-rule | --remove-rich-rule | --query-rich-rule | --mtu) ;;
	*)
		$split && return
		choices="
			--help --version --quiet --verbose
			--state --reload --runtime-to-permanent --list-backend-rules --list-metrics
			--permanent --zone= --policy= --timeout=
			--list-rich-rules --add-rich-rule= --remove-rich-rule= --query-rich-rule=
			--output=
			--migrate-direct --from= --apply
			--suggest-mss --mtu= --mtu-of= --encap= --family= --conservative
			--offline --config-dir= --backend=
		"
		;;
	esac
	[[ -v choices ]] && COMPREPLY=($(compgen -W "$choices" -- "$cur"))
	[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
} &&
	complete -F _mssclamp_cmd mssclamp-cmd
