#!/bin/sh
# Broker credentials of SmartPhase: a random password for each device and service, the Mosquitto
# password files (hashed), and each password in a file of its own (mode 0600) for the device's
# configuration. Run it on the provisioning machine; copy the password files to the brokers and
# each secret to its device only.
#
#   credentials.sh hq FEEDERS_CSV OUT
#       HQ's broker: OUT/devices.passwd (one user per feeder id of the provisioning CSV
#       `feeder_id,name,district,lat,lon,kva`) and OUT/hq.passwd (sp-ingest, sp-dashboard).
#   credentials.sh house-bus FEEDER HOUSES_CSV OUT
#       One Pi's house bus: OUT/house-bus.passwd (each house of FEEDER in the provisioning CSV
#       `house_id,feeder_id,phase,pv_kw,switchable`, and sp-edge, the controller).
#
# Passwords are 36 hex digits from /dev/urandom, written to OUT/secrets/USER.password. Existing
# files in OUT are replaced: running it again rotates every password of that broker.
set -eu

usage() {
    echo "usage: $0 hq FEEDERS_CSV OUT | $0 house-bus FEEDER HOUSES_CSV OUT" >&2
    exit 2
}

password() {
    od -An -tx1 -N18 /dev/urandom | tr -d ' \n'
}

# passwd_file FILE USER... : write FILE with a new password for each USER, hashed in place.
passwd_file() {
    file=$1
    shift
    umask 077
    mkdir -p "$OUT/secrets"
    : >"$file"
    for user in "$@"; do
        case $user in
        *[!A-Za-z0-9-]* | "") echo "refusing the user name '$user'" >&2 && exit 2 ;;
        esac
        secret=$(password)
        printf '%s\n' "$secret" >"$OUT/secrets/$user.password"
        printf '%s:%s\n' "$user" "$secret" >>"$file"
    done
    mosquitto_passwd -U "$file"
}

[ $# -ge 1 ] || usage
case $1 in
hq)
    [ $# -eq 3 ] || usage
    OUT=$3
    feeders=$(awk -F, 'NR > 1 && $1 != "" { print $1 }' "$2")
    [ -n "$feeders" ] || { echo "no feeders in $2" >&2 && exit 2; }
    # shellcheck disable=SC2086 # one user per feeder id
    passwd_file "$OUT/devices.passwd" $feeders
    passwd_file "$OUT/hq.passwd" sp-ingest sp-dashboard
    ;;
house-bus)
    [ $# -eq 4 ] || usage
    OUT=$4
    houses=$(awk -F, -v f="$2" 'NR > 1 && $2 == f { print $1 }' "$3")
    [ -n "$houses" ] || { echo "no houses of feeder $2 in $3" >&2 && exit 2; }
    # shellcheck disable=SC2086 # one user per house id
    passwd_file "$OUT/house-bus.passwd" sp-edge $houses
    ;;
*)
    usage
    ;;
esac
