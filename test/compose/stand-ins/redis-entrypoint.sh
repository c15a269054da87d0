#!/bin/sh
# As the official redis image's entrypoint: `redis-server …` runs as the redis
# user with protected mode off (the container network is the boundary).
set -e
if [ "$1" = "redis-server" ]; then
  shift
  set -- redis-server "$@" --protected-mode no
  [ "$(id -u)" = "0" ] && chown -R redis:redis /data && exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
