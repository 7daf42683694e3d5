# The image's health check: GET /health on the app's own loopback, healthy on a 200 (bash only, no python start).
exec 3<>"/dev/tcp/127.0.0.1/${TESTAPP_PORT:-8000}" || exit 1
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 2 _ status _ <&3 || exit 1
[ "$status" = "200" ]
