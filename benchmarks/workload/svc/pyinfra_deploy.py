"""The service workload for pyinfra: the same resources as playbook.yml, one operation per task, logged in as root.

Run by benchmarks/compare_tools.py as `pyinfra -y --parallel N inventory.py pyinfra_deploy.py` (no --sudo).
The guarded shell reads the guard file as a fact (pyinfra's way of Ansible's `creates:`); the service operation
runs only on hosts with systemd (`bench_systemd`), as the playbook's `when:` does.
"""

from pathlib import Path

from pyinfra import host
from pyinfra.facts.files import File
from pyinfra.operations import apt, files, server, systemd

WORKLOAD = Path(__file__).resolve().parent  # pyinfra sets __file__ when it runs a deploy file
RELEASE = "1.0"
WORKERS = ["alpha", "beta", "gamma"]

apt.packages(name="Base packages are present", packages=["procps", "python3"])

files.replace(
    name="Password ageing for new accounts",
    path="/etc/login.defs",
    text=r"^PASS_MAX_DAYS\s+99999$",
    replace="PASS_MAX_DAYS\t90",
    extended_regex=True,
)

server.group(name="Service group", group="benchsvc", gid=2710)

server.user(  # noqa: S604 (`shell` is the login shell, not a shell=True call)
    name="Service account",
    user="benchsvc",
    uid=2710,
    group="benchsvc",
    groups=["adm"],
    append=True,
    shell="/bin/bash",
    home="/home/benchsvc",
    create_home=True,
)

files.directory(
    name="Release folder", path=f"/srv/benchsvc/releases/{RELEASE}", user="benchsvc", group="benchsvc", mode="755"
)
files.link(name="Current release link", path="/srv/benchsvc/current", target=f"/srv/benchsvc/releases/{RELEASE}")

files.template(
    name="Service settings",
    src=str(WORKLOAD / "templates" / "benchsvc.ini.j2"),
    dest="/etc/benchsvc.ini",
    user="root",
    group="benchsvc",
    mode="640",
    inventory_hostname=host.name,
    bench_stage=host.data.get("bench_stage"),
    svc_release=RELEASE,
    svc_workers=WORKERS,
)

files.block(
    name="Open file limits of the service account",
    path="/etc/security/limits.conf",
    content=["benchsvc soft nofile 16384", "benchsvc hard nofile 32768"],
    marker="# {mark} BENCHSVC LIMITS",
    begin="BEGIN",
    end="END",
)

files.put(
    name="Service unit",
    src=str(WORKLOAD / "files" / "benchsvc.service"),
    dest="/etc/systemd/system/benchsvc.service",
    user="root",
    group="root",
    mode="644",
)

if host.data.get("bench_systemd"):
    systemd.service(name="Service enabled and running", service="benchsvc", running=True, enabled=True)

if not host.get_fact(File, path="/srv/benchsvc/.seeded"):
    server.shell(
        name="Seed the release once",
        commands=[f"printf 'seeded %s\\n' {host.name} | tee /srv/benchsvc/.seeded > /dev/null"],
    )
