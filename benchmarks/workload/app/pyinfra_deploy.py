"""The benchmark workload for pyinfra: the same resources as playbook.yml, one operation per task.

Run by benchmarks/compare_tools.py as `pyinfra -y --sudo --parallel N inventory.py pyinfra_deploy.py`.
The guarded command reads the guard file as a fact (pyinfra's way of Ansible's `creates:`).
"""

from pathlib import Path

from pyinfra import host
from pyinfra.facts.files import File
from pyinfra.operations import files, server

WORKLOAD = Path(__file__).resolve().parent  # pyinfra sets __file__ when it runs a deploy file
STAGE = host.data.get("bench_stage")

server.group(name="Create the application group", group="benchapp", system=True)

server.user(  # noqa: S604 (`shell` is the login shell, not a shell=True call)
    name="Create the application user",
    user="benchapp",
    group="benchapp",
    system=True,
    shell="/usr/sbin/nologin",
    home="/opt/benchapp",
    create_home=False,
    ensure_home=False,
)

files.directory(name="Create the application directory", path="/opt/benchapp", user="root", group="root", mode="755")
files.directory(
    name="Create the configuration directory", path="/etc/benchapp", user="root", group="benchapp", mode="750"
)
files.directory(
    name="Create the log directory", path="/var/log/benchapp", user="benchapp", group="benchapp", mode="750"
)

files.template(
    name="Render the configuration",
    src=str(WORKLOAD / "templates" / "app.conf.j2"),
    dest="/etc/benchapp/app.conf",
    user="root",
    group="benchapp",
    mode="640",
    inventory_hostname=host.name,
    bench_stage=STAGE,
)

files.put(
    name="Install the application",
    src=str(WORKLOAD / "files" / "app.py"),
    dest="/opt/benchapp/app.py",
    user="root",
    group="root",
    mode="755",
)

files.line(
    name="Set the stage in the environment file",
    path="/etc/benchapp/app.env",
    line="^BENCH_STAGE=.*$",
    replace=f"BENCH_STAGE={STAGE}",
)
files.line(
    name="Set the worker count in the environment file",
    path="/etc/benchapp/app.env",
    line="^BENCH_WORKERS=.*$",
    replace="BENCH_WORKERS=4",
)

if not host.get_fact(File, path="/opt/benchapp/.initialized"):
    server.shell(name="Initialise the application once", commands=["touch /opt/benchapp/.initialized"])
