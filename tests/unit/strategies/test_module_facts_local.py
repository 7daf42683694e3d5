"""Read-only modules on this machine (local transport): stat's registered result and the facts getent sets
reach later tasks, as in Ansible; a path changed after a stat was read is read again."""

from __future__ import annotations

from pathlib import Path

from tests.unit.strategies.test_apply_local import make_project, run

PLAYBOOK = """\
- name: read the host, then use what was read
  hosts: all
  gather_facts: false
  tasks:
    - name: before the file exists
      stat: path={{ root }}/marker
      register: before
    - name: create it
      copy: content="x" dest={{ root }}/marker
    - name: after it exists
      stat: path={{ root }}/marker get_mime=false
      register: after
    - name: read root's account
      getent: database=passwd key=root
    - name: write what was read
      copy:
        dest: "{{ root }}/report"
        content: >-
          {{ before.stat.exists }} {{ after.stat.exists }} {{ after.stat.checksum }}
          {{ getent_passwd.root[4] }} {{ ansible_facts.getent_passwd.root[1] }}
"""


def test_stat_and_getent_results_reach_later_tasks(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    result = run(root, inventory)
    assert result.exit_code == 0, [r.message for r in result.results if r.status == "failed"]
    report = (tmp_path / "target" / "report").read_text()
    assert report == "False True 11f6ad8ec52a2984abaafd7c3b516503785c2072 /root 0"
    again = run(root, inventory)  # the marker exists now, before the stat: the report changes, once
    assert again.recap["local1"].changed == 1
    assert (tmp_path / "target" / "report").read_text().startswith("True True ")
    assert run(root, inventory).recap["local1"].changed == 0


GATHERING = """\
- name: facts set by tasks
  hosts: all
  gather_facts: false
  tasks:
    - name: read the accounts
      getent: database=group key=root
    - name: read the packages
      package_facts:
    - name: gather again
      setup: filter=ansible_distribution*
- name: a later play that gathers
  hosts: all
  tasks:
    - name: use them all
      copy:
        dest: "{{ root }}/report"
        content: "{{ getent_group.root[1] }} {{ 'dpkg' in packages }} {{ ansible_facts.packages.dpkg[0].source }}
          {{ ansible_facts.distribution == ansible_distribution }} {{ ansible_hostname is defined }}"
"""


def test_facts_set_by_tasks_outlive_their_play_and_its_gathering(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=GATHERING)
    result = run(root, inventory)
    assert result.exit_code == 0, [r.message for r in result.results if r.status == "failed"]
    assert (tmp_path / "target" / "report").read_text() == "0 True apt True True"


KEYS = """\
- name: keys
  hosts: all
  gather_facts: false
  tasks:
    - name: add two keys
      authorized_key:
        user: "{{ lookup('env', 'USER') | default('root', true) }}"
        path: "{{ root }}/ssh/authorized_keys"
        key: "ssh-ed25519 AAAAkey1 one\\nssh-rsa AAAAkey2 two"
    - name: remove one
      ansible.posix.authorized_key:
        user: "{{ lookup('env', 'USER') | default('root', true) }}"
        path: "{{ root }}/ssh/authorized_keys"
        key: ssh-rsa AAAAkey2
        state: absent
"""


def test_authorized_keys_are_written_private_and_converge(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=KEYS)
    first = run(root, inventory)
    assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
    keys = tmp_path / "target" / "ssh" / "authorized_keys"
    assert keys.read_text() == "ssh-ed25519 AAAAkey1 one\n"
    assert oct(keys.stat().st_mode & 0o777) == "0o600" and oct(keys.parent.stat().st_mode & 0o777) == "0o700"
    assert run(root, inventory).recap["local1"].changed == 2  # added and removed again on every run, as in Ansible
