# A stdout callback for the playbook tests: the run as JSON on stdout, so tests can assert on every
# task's per-host result. ansible-core has no JSON stdout callback of its own (the `json` one lives in
# the ansible.posix collection, which a plain `apt-get install ansible-core` does not bring), so the
# tests bring this one: ANSIBLE_CALLBACK_PLUGINS=<this folder> ANSIBLE_STDOUT_CALLBACK=json_report.
#
# Shape: {"plays": [{"play": {"name"}, "tasks": [{"task": {"name"}, "hosts": {host: result}}]}],
#         "stats": {host: {"ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored"}}}
# Each host result is the module's result plus "action" (the task's action as written). It is printed
# when a playbook ends, cumulatively (all plays so far): with several playbooks, the last document
# printed describes the whole run.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = '''
    name: json_report
    type: stdout
    short_description: the whole run as one JSON document, for tests
    description:
      - Prints every play, task and per-host result, and the stats, as JSON when a playbook ends.
'''

import json

from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'json_report'

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display)
        self.plays = []
        self.task_entries = {}

    def v2_playbook_on_play_start(self, play):
        self.plays.append({'play': {'name': play.get_name()}, 'tasks': []})

    def _entry(self, task):
        entry = self.task_entries.get(task._uuid)
        if entry is None:
            entry = {'task': {'name': task.get_name()}, 'hosts': {}}
            self.task_entries[task._uuid] = entry
            self.plays[-1]['tasks'].append(entry)
        return entry

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._entry(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._entry(task)

    def _record(self, result, **flags):
        data = dict(result._result)
        if data.get('_ansible_no_log'):
            data = {'censored': 'the output has been hidden due to no_log', 'changed': data.get('changed', False)}
        data.update(flags)
        data['action'] = result._task.action
        self._entry(result._task)['hosts'][result._host.get_name()] = data

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        report = {'plays': self.plays, 'stats': summary}
        self._display.display(json.dumps(report, cls=AnsibleJSONEncoder, indent=4, sort_keys=True))
