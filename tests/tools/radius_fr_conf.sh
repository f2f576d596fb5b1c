# Renders a minimal private FreeRADIUS 3.2 configuration for the RADIUS client
# tests (sourced; bash). No broker module: just `files`, `pap` and `chap`, so the
# replies are exactly the fixtures below and the tests do not depend on Redis.
#
# radius_fr_conf DIR ADDR PORT SECRET SIGN CLIENT_CIDR
#   auth on PORT, accounting on PORT+1 (answers every Accounting-Request);
#   SIGN=yes adds `Message-Authenticator := 0x00` to every reply (Debian's 3.2.1
#   signs replies only when asked, see /work/shared/notes/platform.md);
#   SIGN=no leaves replies unsigned, to check that the client refuses them.
# radius_fr_start DIR NS   (NS "-" = current namespace) writes DIR/pid
# radius_fr_stop DIR
#
# Fixture users (all PAP/CHAP password "secret1"):
#   tunnel@corp.example  Accept, two tagged L2TP groups (tag 1 pref 2, tag 2 pref 1),
#                        a tag 3 group that is invalid (PPTP), a Reply-Message
#   local@local.example  Accept, Framed-IP-Address/Netmask, MS DNS, Session-Timeout,
#                        Acct-Interim-Interval, Class
#   user@blocked.example Reject with Reply-Message "realm blocked.example is blocked"
radius_fr_conf() {
    dir=$1; addr=$2; port=$3; secret=$4; sign=$5; client=$6
    mkdir -p "$dir/log" "$dir/run" || return 1
    cat > "$dir/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $dir/log
raddbdir = $dir
radacctdir = $dir/log
name = freeradius
confdir = $dir
run_dir = $dir/run
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/run/radiusd.pid
max_request_time = 10
cleanup_delay = 2
max_requests = 4096
hostname_lookups = no
log {
	destination = files
	file = $dir/log/radius.log
	auth = yes
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}
thread pool {
	start_servers = 1
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 2
	max_requests_per_server = 0
}
client lac {
	ipaddr = $client
	secret = $secret
	require_message_authenticator = yes
}
modules {
	files {
		filename = $dir/users
	}
	pap {
	}
	chap {
	}
	always ok {
		rcode = ok
	}
}
server default {
	listen {
		type = auth
		ipaddr = $addr
		port = $port
		recv_buff = 4194304
	}
	listen {
		type = acct
		ipaddr = $addr
		port = $((port + 1))
	}
	accounting {
		ok
	}
	authorize {
		files
		chap
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type CHAP {
			chap
		}
	}
}
CONF
    {
        if [ "$sign" = yes ]; then
            printf 'DEFAULT\n\tMessage-Authenticator := 0x00,\n\tFall-Through = yes\n\n'
        fi
        cat <<'USERS'
tunnel@corp.example Cleartext-Password := "secret1"
	Reply-Message = "tunnelled to corp.example",
	Tunnel-Type:1 = L2TP,
	Tunnel-Medium-Type:1 = IPv4,
	Tunnel-Server-Endpoint:1 = "10.88.2.2",
	Tunnel-Password:1 = "lns1secret",
	Tunnel-Preference:1 = 2,
	Tunnel-Assignment-Id:1 = "corp-lns1",
	Tunnel-Client-Auth-Id:1 = "lac1",
	Tunnel-Server-Auth-Id:1 = "lns1",
	Tunnel-Type:2 = L2TP,
	Tunnel-Medium-Type:2 = IPv4,
	Tunnel-Server-Endpoint:2 = "10.88.3.2:1701",
	Tunnel-Password:2 = "a-longer-lns2-secret-of-40-characters!!",
	Tunnel-Preference:2 = 1,
	Tunnel-Assignment-Id:2 = "corp-lns2",
	Tunnel-Type:3 = PPTP,
	Tunnel-Medium-Type:3 = IPv4,
	Tunnel-Server-Endpoint:3 = "10.88.4.2",
	Tunnel-Preference:3 = 0

local@local.example Cleartext-Password := "secret1"
	Framed-IP-Address = 10.66.0.10,
	Framed-IP-Netmask = 255.255.255.255,
	MS-Primary-DNS-Server = 10.66.0.53,
	MS-Secondary-DNS-Server = 10.66.0.54,
	Session-Timeout = 3600,
	Acct-Interim-Interval = 300,
	Class = "local-class"

user@blocked.example Auth-Type := Reject
	Reply-Message = "realm blocked.example is blocked"
USERS
    } > "$dir/users"
}

radius_fr_start() {
    dir=$1; ns=$2
    if [ "$ns" = - ]; then
        freeradius -f -d "$dir" >>"$dir/log/stdout.log" 2>&1 &
    else
        ip netns exec "$ns" freeradius -f -d "$dir" >>"$dir/log/stdout.log" 2>&1 &
    fi
    echo $! > "$dir/pid"
    sleep 0.3
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        echo "radius_fr_start: freeradius in $dir did not start:" >&2
        tail -n 20 "$dir/log/stdout.log" "$dir/log/radius.log" >&2 2>/dev/null
        return 1
    fi
}

radius_fr_stop() {
    dir=$1
    [ -f "$dir/pid" ] || return 0
    kill "$(cat "$dir/pid")" 2>/dev/null
    sleep 0.1
    kill -KILL "$(cat "$dir/pid")" 2>/dev/null
    rm -f "$dir/pid"
    return 0
}
