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

	case $prev in
	--zone)
		COMPREPLY=($(compgen -W "$(_mssclamp_cmd_zones zones)" -- "$cur"))
		return
		;;
	--policy)
		COMPREPLY=($(compgen -W "$(_mssclamp_cmd_zones policies)" -- "$cur"))
		return
		;;
	--timeout | --add-rich-rule | --remove-rich-rule | --query-rich-rule | --mtu)
		return
		;;
	--output)
		COMPREPLY=($(compgen -W "text json" -- "$cur"))
		return
		;;
	--backend)
		COMPREPLY=($(compgen -W "auto nftables iptables" -- "$cur"))
		return
		;;
	--family)
		COMPREPLY=($(compgen -W "ipv4 ipv6" -- "$cur"))
		return
		;;
	--encap)
		COMPREPLY=($(compgen -W "none pppoe gre ipip 6in4 wireguard vxlan geneve ipsec openvpn-udp" -- "$cur"))
		return
		;;
	--mtu-of)
		_available_interfaces
		return
		;;
	--from)
		_filedir xml
		return
		;;
	--config-dir)
		_filedir -d
		return
		;;
	esac
	$split && return

	local opts="
		--help --version --quiet --verbose
		--state --reload --runtime-to-permanent --list-backend-rules --list-metrics
		--permanent --zone= --policy= --timeout=
		--list-rich-rules --add-rich-rule= --remove-rich-rule= --query-rich-rule=
		--output=
		--migrate-direct --from= --apply
		--suggest-mss --mtu= --mtu-of= --encap= --family= --conservative
		--offline --config-dir= --backend=
	"
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
} &&
	complete -F _mssclamp_cmd mssclamp-cmd
