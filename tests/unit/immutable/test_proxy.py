"""The stage proxy's pure parts: nginx config rendering and the parsers of what the proxy and replicas report."""

from __future__ import annotations

import pytest

from deployctl.immutable.proxy import (
    RELOAD_MARK,
    NginxWorkers,
    ProxySettings,
    Upstream,
    established_peers,
    parse_generation,
    parse_nginx_workers,
    parse_resolved,
    parse_upstreams,
    render_dns_stage_conf,
    render_stage_conf,
    split_reload_output,
)

GOLDEN = """\
# deployctl stage qa: generation 7, upstream. Written by deployctl: do not edit.
upstream app {
    server deployctl-qa-app-0a1b2c:8000 max_fails=1 fail_timeout=2s;
    server deployctl-qa-app-3d4e5f:8000 max_fails=1 fail_timeout=2s;
    keepalive 16;
}
server {
    listen 80 default_server;
    add_header X-Deployctl-Stage "qa" always;
    add_header X-Deployctl-Generation "7" always;
    location = /__deployctl/status {
        stub_status;
        allow 127.0.0.1;
        deny all;
    }
    location / {
        proxy_pass http://app;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 1s;
        proxy_read_timeout 60s;
        proxy_next_upstream error timeout http_502 http_503 http_504;
        proxy_next_upstream_tries 3;
        proxy_next_upstream_timeout 15s;
    }
}
"""

# `PROCESS_LIST` in a proxy right after `nginx -s reload` (captured), plus the title nginx gives an old worker
# that is finishing its requests (pid 21).
PROCESS_LIST_OUTPUT = (
    "1 nginx: master process nginx -g daemon off; \n"
    "21 nginx: worker process is shutting down \n"
    "30 nginx: worker process \n"
    "31 nginx: worker process \n"
    '32 sh -c for d in /proc/[0-9]*; do c=$(tr "\\0" " " < "$d/cmdline" 2>/dev/null) && printf "%s %s\\n" '
    '"${d#/proc/}" "$c"; done; true \n'
)

# /proc/net/tcp and /proc/net/tcp6 of a test replica (port 8000 = 0x1F40) under load, captured: the listening
# socket, Docker's DNS listener, and five keep-alive connections from the proxy (172.29.0.4).
PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 2077354 1 00000000aee3f83d 100 0 0 10 0
   1: 0B00007F:927B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2071390 1 00000000748d1b60 100 0 0 10 0
   2: 03001DAC:1F40 04001DAC:C2B8 01 00000000:00000000 00:00000000 00000000 65534        0 2093591 3 000000003b977de9 20 4 29 14 -1
   3: 03001DAC:1F40 04001DAC:C2AA 01 00000000:00000000 00:00000000 00000000 65534        0 2093434 2 0000000072c2a7ab 20 4 30 12 -1
   4: 03001DAC:1F40 04001DAC:C2B2 01 00000000:00000074 00:00000000 00000000 65534        0 2093590 2 000000000aac5e08 20 4 28 12 -1
   5: 03001DAC:1F40 04001DAC:C2A2 01 00000000:00000000 00:00000000 00000000 65534        0 2092268 2 00000000ac256071 20 4 0 69 -1
   6: 03001DAC:1F40 04001DAC:C2A8 01 00000000:00000000 00:00000000 00000000 65534        0 2092285 2 000000006e28d83f 20 4 0 57 -1
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
"""  # noqa: E501 (captured kernel output, kept as it is)

UPSTREAMS = [Upstream("deployctl-qa-app-3d4e5f", 8000), Upstream("deployctl-qa-app-0a1b2c", 8000)]


def test_stage_conf_is_an_upstream_of_the_named_replicas_with_retries() -> None:
    assert render_stage_conf("qa", UPSTREAMS, 7) == GOLDEN


def test_stage_conf_lists_each_replica_once_in_a_stable_order() -> None:
    conf = render_stage_conf("qa", [*UPSTREAMS, UPSTREAMS[0]], 7)
    assert conf == GOLDEN
    assert conf == render_stage_conf("qa", list(reversed(UPSTREAMS)), 7)


def test_without_replicas_the_proxy_answers_503_and_names_no_upstream() -> None:
    conf = render_stage_conf("dev", [], 1)
    assert "upstream" not in conf.split("\n", 1)[1]
    assert 'return 503 "no replica in service\\n";' in conf
    assert parse_upstreams(conf) == []


def test_settings_reach_the_config() -> None:
    settings = ProxySettings(connect_timeout="300ms", tries=5, keepalive=4, fail_timeout="5s")
    conf = render_stage_conf("qa", UPSTREAMS[:1], 2, settings)
    for line in ("proxy_connect_timeout 300ms;", "proxy_next_upstream_tries 5;", "keepalive 4;", "fail_timeout=5s;"):
        assert line in conf


@pytest.mark.parametrize("generation", [0, 1, 42])
def test_upstreams_and_generation_read_back_from_the_rendered_config(generation: int) -> None:
    conf = render_stage_conf("qa", UPSTREAMS, generation)
    assert parse_upstreams(conf) == sorted(UPSTREAMS, key=lambda u: u.host)
    assert parse_generation(conf) == generation


def test_the_image_placeholder_has_generation_zero() -> None:
    assert parse_generation("# Placeholder until deployctl writes the stage's upstream\nserver {}\n") == 0


def test_dns_config_resolves_the_service_every_second_through_dockers_dns() -> None:
    conf = render_dns_stage_conf("prod", "deployctl-prod-app", 8080, 3)
    assert "resolver 127.0.0.11 valid=1s ipv6=off;" in conf
    assert "set $deployctl_app deployctl-prod-app;" in conf
    assert "proxy_pass http://$deployctl_app:8080;" in conf
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in conf
    assert parse_generation(conf) == 3
    assert parse_upstreams(conf) == []


def test_workers_split_into_active_and_shutting_down() -> None:
    assert parse_nginx_workers(PROCESS_LIST_OUTPUT) == NginxWorkers(frozenset({30, 31}), frozenset({21}))
    assert parse_nginx_workers(PROCESS_LIST_OUTPUT).all == frozenset({21, 30, 31})


def test_no_workers_in_an_empty_or_foreign_process_list() -> None:
    assert parse_nginx_workers("") == NginxWorkers(frozenset(), frozenset())
    assert parse_nginx_workers("1 python3 /app/app.py\nx nginx: worker process\n").active == frozenset()


def test_established_peers_count_the_proxys_connections_only() -> None:
    assert established_peers(PROC_NET_TCP, 8000) == 5
    assert established_peers(PROC_NET_TCP, 8080) == 0


@pytest.mark.parametrize(
    ("remote", "counted"),
    [
        ("0100007F:D431", False),  # 127.0.0.1: the health check inside the container
        ("00000000000000000000000001000000:D431", False),  # ::1
        ("0000000000000000FFFF00000100007F:D431", False),  # ::ffff:127.0.0.1
        ("0000000000000000FFFF000004001DAC:D431", True),  # ::ffff:172.29.0.4
        ("04001DAC:D431", True),  # 172.29.0.4
    ],
)
def test_loopback_connections_do_not_count(remote: str, counted: bool) -> None:
    local = "03001DAC:1F40" if len(remote) == 13 else "0000000000000000FFFF000003001DAC:1F40"
    line = f"   0: {local} {remote} 01 00000000:00000000 00:00000000 00000000 65534 0 1 1 0 20 4 0 10 -1"
    assert established_peers(line, 8000) == int(counted)


def test_only_established_connections_count() -> None:
    time_wait = "   0: 03001DAC:1F40 04001DAC:C2B8 06 00000000:00000000 03:00000000 00000000 0 0 0 3 0"
    assert established_peers(time_wait, 8000) == 0


def test_reload_output_splits_into_the_workers_before_and_what_nginx_said() -> None:
    output = f'{PROCESS_LIST_OUTPUT}{RELOAD_MARK}\nnginx: [emerg] host not found in upstream "x:8000"\n'
    before, said = split_reload_output(output)
    assert parse_nginx_workers(before).all == frozenset({21, 30, 31})
    assert "host not found" in said


def test_the_names_getent_resolved_are_read_from_its_lines() -> None:
    output = "192.168.0.3     deployctl-dev-app-1\n192.168.0.4     deployctl-dev-app-2 alias\n"
    assert parse_resolved(output) == {"deployctl-dev-app-1", "deployctl-dev-app-2", "alias"}
    assert parse_resolved("") == set()
