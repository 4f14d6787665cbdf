#!/usr/bin/env bash
# A single-node SLURM with accounting on this machine, from Debian packages, for testing the
# pipeline's SLURM profile (tests/test_slurm.py): slurmctld, slurmd, slurmdbd on MariaDB, munge.
# Run as root. Idempotent: a second run restarts what is not running. No systemd needed.
# Prints the account and partition to use on its last line: "account=<a> partition=<p>".
set -euo pipefail

ACCOUNT=${SLURM_TEST_ACCOUNT:-lac}
PARTITION=${SLURM_TEST_PARTITION:-debug}
CLUSTER=lac
DB_PASS=slurmdbd-test-only

if [ "$(id -u)" -ne 0 ]; then
    echo "slurm_setup.sh: needs root (it installs packages and starts daemons)" >&2
    exit 2
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm slurmdbd munge mariadb-server >/dev/null
fi

HOST=$(hostname -s)
CPUS=$(nproc)
# Leave the OS some memory: the node offers 90% of it.
MEMORY=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge /run/slurm
chown slurm:slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
chown munge:munge /run/munge

# munge: the key every daemon and client authenticates with.
if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null \
        || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged

# MariaDB: the accounting store slurmdbd writes and sacct reads.
if ! pgrep -x mariadbd >/dev/null; then
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    (mysqld_safe >/dev/null 2>&1 &)
    for _ in $(seq 60); do mysqladmin ping >/dev/null 2>&1 && break; sleep 1; done
fi
mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL

cat >/etc/slurm/slurmdbd.conf <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=slurm
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=${DB_PASS}
StorageLoc=slurm_acct_db
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurm/slurmdbd.pid
EOF
chown slurm:slurm /etc/slurm/slurmdbd.conf
chmod 600 /etc/slurm/slurmdbd.conf

cat >/etc/slurm/slurm.conf <<EOF
ClusterName=${CLUSTER}
SlurmctldHost=${HOST}
SlurmUser=slurm
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# No cgroups in a container: track processes by parent id, no task containment.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStorageEnforce=associations
JobAcctGatherType=jobacct_gather/linux
JobCompType=jobcomp/none
ReturnToService=2
SchedulerType=sched/backfill
NodeName=${HOST} CPUs=${CPUS} RealMemory=${MEMORY} State=UNKNOWN
PartitionName=${PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

if ! pgrep -x slurmdbd >/dev/null; then
    /usr/sbin/slurmdbd
    for _ in $(seq 30); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 1; done
fi
sacctmgr -i add cluster "${CLUSTER}" >/dev/null 2>&1 || true
sacctmgr -i add account "${ACCOUNT}" Cluster="${CLUSTER}" >/dev/null 2>&1 || true
sacctmgr -i add user root Account="${ACCOUNT}" Cluster="${CLUSTER}" >/dev/null 2>&1 || true

pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 30); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1)
    [ "$state" = "idle" ] || [ "$state" = "mix" ] || [ "$state" = "alloc" ] && break
    scontrol update NodeName="${HOST}" State=RESUME >/dev/null 2>&1 || true
    sleep 1
done
sinfo -h -N -o '%N %t' | grep -Eq ' (idle|mix|alloc)$' || { echo "slurm_setup.sh: the node did not come up: $(sinfo -h -N -o '%N %t %E')" >&2; exit 1; }
echo "account=${ACCOUNT} partition=${PARTITION}"
