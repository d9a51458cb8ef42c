#!/usr/bin/python
# -*- coding: utf-8 -*-
#
# Part of firewalld-mssclamp: the mssclamp.firewall collection.
# GNU General Public License v2.0 or later (see LICENSE at the repository's root)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: rich_rule
short_description: Manage firewalld rich rules, tcp-mss-clamp included, through mssclamp-cmd
version_added: 0.1.0
description:
  - Adds or removes one firewalld rich rule in a zone or a policy, at runtime, in the permanent
    configuration, or both. Rules with C(tcp-mss-clamp) are held by mssclampd, which enforces them on
    every firewalld release (and without firewalld); any other rich rule is passed on to firewalld, as
    C(mssclamp-cmd) does.
  - The parameters and their meaning follow M(ansible.posix.firewalld)'s C(rich_rule) handling
    (C(zone), C(permanent), C(immediate), C(state), C(timeout), C(offline)), so a task moves from one
    module to the other by renaming it. That module cannot create a clamp on firewalld < 1.0, which
    rejects the element.
  - Idempotent. A rule is compared by meaning, not by spelling, C(rule tcp-mss-clamp value=pmtu) and
    C(rule tcp-mss-clamp) being one rule, because presence is asked of the daemon
    (C(--query-rich-rule)), which parses the rule as it parses every rule it stores.
  - The module runs C(mssclamp-cmd) on the managed host rather than talking D-Bus itself. Managed
    hosts need no Python D-Bus binding (firewalld's own Python module, which M(ansible.posix.firewalld)
    needs, is missing on many hosts and tied to one firewalld release); each change is authorized
    exactly as an administrator's command is (root, or polkit's C(org.fedoraproject.FirewallD1.config));
    and what the module does is what the same C(mssclamp-cmd) command line does, with the same checks
    and the same error texts. Reads use C(--query-rich-rule) (exit status 0 yes, 1 no) and
    C(--list-rich-rules --output=json); changes use C(--add-rich-rule) and C(--remove-rich-rule), whose
    exit statuses are firewall-cmd's.
options:
  rule:
    description:
      - The rich rule, in firewalld's rich language, for example C(rule family=ipv4 tcp-mss-clamp value=1452).
      - See firewalld.richlanguage(5); C(tcp-mss-clamp) takes C(value=pmtu) (the default) or a number 536..65535.
    type: str
    required: true
    aliases: [ rich_rule ]
  zone:
    description:
      - The zone to add the rule to or remove it from.
      - Without I(zone) and I(policy), the default zone.
      - Mutually exclusive with I(policy).
    type: str
  policy:
    description:
      - The policy to add the rule to or remove it from (firewalld >= 0.9 policies, or mssclampd's own
        when it runs without firewalld).
      - M(ansible.posix.firewalld) has no such option; this is C(mssclamp-cmd --policy).
      - Mutually exclusive with I(zone).
    type: str
  permanent:
    description:
      - Whether the rule belongs in the permanent configuration (kept across reloads and reboots).
      - If neither I(permanent) nor I(immediate) is true, I(immediate) is assumed.
    type: bool
  immediate:
    description:
      - Whether to change the runtime configuration too when I(permanent=true).
      - Defaults to true if I(permanent=false).
    type: bool
    default: false
  state:
    description:
      - Whether the rule should be there (C(present)) or not (C(absent)).
      - C(enabled) and C(disabled), M(ansible.posix.firewalld)'s words for a rich rule, are accepted as
        C(present) and C(absent).
    type: str
    required: true
    choices: [ absent, disabled, enabled, present ]
  timeout:
    description:
      - The number of seconds a runtime rule stays; 0 means until the next reload.
      - Only for runtime changes (I(immediate)); with I(permanent=true) it applies to the runtime rule only.
      - A rule already present is left as it is, whatever its timeout.
    type: int
    default: 0
  offline:
    description:
      - Whether to run even when mssclampd is not running. Then only permanent changes are possible;
        they are written to mssclampd's configuration files with C(mssclamp-cmd --offline), for
        mssclampd to apply when it starts.
      - Rules without C(tcp-mss-clamp) cannot be changed offline (they belong to firewalld).
    type: bool
    default: false
  config_dir:
    description:
      - mssclampd's configuration directory for offline changes (C(mssclamp-cmd --offline --config-dir)).
      - Default C(/etc/firewalld/mssclamp). Used only when the change is made offline.
    type: path
  mssclamp_cmd:
    description:
      - Path of the C(mssclamp-cmd) program.
      - If not set, the environment variable C(MSSCLAMP_CMD) is used, else C(mssclamp-cmd) is looked up
        in C(PATH) and the usual sbin directories.
    type: path
notes:
  - Supports check mode and diff mode. In diff mode the rules of the zone or policy are shown before
    and after, runtime and permanent separately. After a real change they are read back, so the rule
    appears in the canonical form the daemon stores; in check mode the predicted listing shows the rule
    as given.
  - "Errors are the daemon's, as C(mssclamp-cmd) prints them, without the C(Error:) prefix, for example
    C(INVALID_RULE: 535 (column 20, ...)), C(INVALID_ZONE: nosuchzone) or, for a caller that is not
    allowed to change rules, C(Authorization failed. ...). The result also has C(rc), C(stdout),
    C(stderr) and C(cmd) of the failing command."
  - The default zone is the runtime default zone, for runtime and permanent changes alike, as with
    C(firewall-cmd).
  - Reading needs no privileges; changing needs root (C(become)) or polkit's authorization.
requirements:
  - mssclampd and its client mssclamp-cmd (firewalld-mssclamp) on the managed host
seealso:
  - module: ansible.posix.firewalld
author:
  - firewalld-mssclamp contributors
'''

EXAMPLES = r'''
- name: Clamp what comes out of the VPN tunnel to the path MTU, now and after reboots
  mssclamp.firewall.rich_rule:
    zone: vpn
    rule: rule tcp-mss-clamp
    permanent: true
    immediate: true
    state: present
  become: true

- name: PPPoE uplink, IPv4 and IPv6, for everything the LAN forwards to the internet
  mssclamp.firewall.rich_rule:
    policy: lan-to-wan
    rule: "{{ item }}"
    permanent: true
    immediate: true
    state: present
  loop:
    - rule family=ipv4 tcp-mss-clamp value=1452
    - rule family=ipv6 tcp-mss-clamp value=1432
  become: true

- name: Try a clamp towards one site for an hour (runtime only)
  mssclamp.firewall.rich_rule:
    zone: internal
    rule: rule family=ipv4 destination address=192.0.2.0/24 tcp-mss-clamp value=1347
    timeout: 3600
    state: present
  become: true

- name: Prepare an image without a running daemon
  mssclamp.firewall.rich_rule:
    zone: public
    rule: rule tcp-mss-clamp value=1400
    permanent: true
    offline: true
    state: present

- name: Remove a clamp everywhere
  mssclamp.firewall.rich_rule:
    zone: vpn
    rule: rule tcp-mss-clamp
    permanent: true
    immediate: true
    state: absent
  become: true
'''

RETURN = r'''
msg:
  description: What was done, in M(ansible.posix.firewalld)'s words.
  returned: always
  type: str
  sample: Permanent and Non-Permanent(immediate) operation, Changed rich_rule rule tcp-mss-clamp to present
zone:
  description: The zone the rule was checked in (the default zone resolved); absent for a policy.
  returned: when a zone was used and mssclampd could be read
  type: str
  sample: public
policy:
  description: The policy the rule was checked in.
  returned: when I(policy) was given
  type: str
  sample: lan-to-wan
rule:
  description: The rule as given.
  returned: always
  type: str
  sample: rule tcp-mss-clamp value=1452
offline:
  description: Whether the change was made in the files, mssclampd not running.
  returned: always
  type: bool
  sample: false
'''

import json
import shlex

from ansible.module_utils.basic import AnsibleModule, env_fallback

ARGUMENT_SPEC = dict(
    rule=dict(type='str', required=True, aliases=['rich_rule']),
    zone=dict(type='str'),
    policy=dict(type='str'),
    permanent=dict(type='bool'),
    immediate=dict(type='bool', default=False),
    state=dict(type='str', required=True, choices=['absent', 'disabled', 'enabled', 'present']),
    timeout=dict(type='int', default=0),
    offline=dict(type='bool', default=False),
    config_dir=dict(type='path'),
    mssclamp_cmd=dict(type='path', fallback=(env_fallback, ['MSSCLAMP_CMD'])),
)

# --query-rich-rule's exit statuses: answers, not failures.
QUERY_YES = 0
QUERY_NO = 1


class CommandError(Exception):
    """A failed mssclamp-cmd run: its error text and the run's details."""

    def __init__(self, msg, cmd, rc, out, err):
        super(CommandError, self).__init__(msg)
        self.result = dict(cmd=cmd, rc=rc, stdout=out, stderr=err)


class MssclampCmd(object):
    """Runs mssclamp-cmd for one zone or policy, online or --offline."""

    def __init__(self, module, path, zone, policy):
        self.module = module
        self.path = path
        self.scope = []
        if policy:
            self.scope = ['--policy=' + policy]
        elif zone:
            self.scope = ['--zone=' + zone]
        self.offline_args = []

    def go_offline(self, config_dir):
        self.offline_args = ['--offline']
        if config_dir:
            self.offline_args.append('--config-dir=' + config_dir)

    def run(self, args, answers=(0,)):
        cmd = [self.path] + self.offline_args + args
        rc, out, err = self.module.run_command(cmd, environ_update=dict(LC_ALL='C'))
        if rc not in answers:
            raise CommandError(error_text(err, out, rc), cmd, rc, out, err)
        return rc, out

    def running(self):
        rc, dummy = self.run(['--state'], answers=(0, 252))
        return rc == 0

    def _scoped(self, permanent, args):
        return self.scope + (['--permanent'] if permanent and not self.offline_args else []) + args

    def query(self, permanent, rule):
        rc, dummy = self.run(self._scoped(permanent, ['--query-rich-rule=' + rule]), answers=(QUERY_YES, QUERY_NO))
        return rc == QUERY_YES

    def listing(self, permanent):
        """The zone's or policy's name (the default zone resolved) and its rules."""
        dummy, out = self.run(self._scoped(permanent, ['--list-rich-rules', '--output=json']))
        data = json.loads(out)
        return data.get('policy') or data.get('zone'), [r['rule'] for r in data.get('rules', [])]

    def add(self, permanent, rule, timeout):
        extra = ['--timeout=%ds' % timeout] if timeout and not permanent else []
        self.run(self._scoped(permanent, extra + ['--add-rich-rule=' + rule]))

    def remove(self, permanent, rule):
        self.run(self._scoped(permanent, ['--remove-rich-rule=' + rule]))


def error_text(err, out, rc):
    """mssclamp-cmd's error as firewalld words it: "CODE: detail" without "Error: "."""
    text = (err or out or '').strip()
    if text.startswith('Error: '):
        text = text[len('Error: '):]
    return text or 'mssclamp-cmd failed with exit status %d' % rc


def same_spelling(a, b):
    """Whether two rules read the same once quotes and blanks are gone: only used to predict,
    in check mode, which listed rule a removal takes away."""
    try:
        return shlex.split(a) == shlex.split(b)
    except ValueError:
        return a == b


def predicted(before, rule, present):
    if present:
        return before + [rule]
    return [r for r in before if not same_spelling(r, rule)]


def describe(kind, name, permanent):
    return '%s %s (%s)' % (kind, name, 'permanent' if permanent else 'runtime')


def lines(rules):
    return ''.join(r + '\n' for r in rules)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[('zone', 'policy')],
    )
    p = module.params
    rule = p['rule']
    present = p['state'] in ('present', 'enabled')
    permanent = bool(p['permanent'])
    immediate = p['immediate']
    # As ansible.posix.firewalld: neither permanent nor immediate means immediate.
    if not permanent and not immediate:
        immediate = True
    if p['timeout'] and not immediate:
        module.warn('timeout applies to runtime changes only (immediate); it is ignored for a permanent-only change')

    path = p['mssclamp_cmd'] or module.get_bin_path('mssclamp-cmd', required=True, opt_dirs=['/usr/sbin', '/usr/local/sbin'])
    cli = MssclampCmd(module, path, p['zone'], p['policy'])
    result = dict(changed=False, rule=rule, offline=False)
    if p['policy']:
        result['policy'] = p['policy']

    try:
        if not cli.running():
            if not p['offline']:
                module.fail_json(msg='mssclampd service must be running, or try with offline=true', **result)
            if immediate:
                module.fail_json(msg='mssclampd is not currently running, unable to perform immediate actions '
                                     'without a running mssclampd daemon', **result)
            cli.go_offline(p['config_dir'])
            result['offline'] = True
        elif p['config_dir']:
            module.warn('config_dir is used only offline; mssclampd is running, so the change goes to it')

        # Read everything first, then change: permanent before runtime, as ansible.posix.firewalld.
        configs = ([True] if permanent else []) + ([False] if immediate else [])
        todo = [c for c in configs if cli.query(c, rule) != present]
        result['changed'] = bool(todo)

        diffs = []
        kind = 'policy' if p['policy'] else 'zone'
        if module._diff:
            for c in configs:
                name, before = cli.listing(c)
                diffs.append(dict(before_header=describe(kind, name, c), before=lines(before),
                                  after_header=describe(kind, name, c),
                                  after=lines(predicted(before, rule, present) if c in todo else before)))
        if kind == 'zone':
            result['zone'] = cli.listing(configs[0])[0]

        if todo and not module.check_mode:
            for c in todo:
                if present:
                    cli.add(c, rule, p['timeout'])
                else:
                    cli.remove(c, rule)
            for d, c in zip(diffs, configs):
                d['after'] = lines(cli.listing(c)[1])
    except CommandError as e:
        result.update(e.result)
        module.fail_json(msg=str(e), **result)

    if diffs:
        result['diff'] = diffs
    msgs = []
    if permanent and immediate:
        msgs.append('Permanent and Non-Permanent(immediate) operation')
    elif permanent:
        msgs.append('Permanent operation')
    else:
        msgs.append('Non-permanent operation')
    if result['changed']:
        msgs.append('Changed rich_rule %s to %s' % (rule, p['state']))
    result['msg'] = ', '.join(msgs)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
