# JSON-style options as libvirt writes them (-object, -device, -netdev; QEMU takes no JSON
# for -machine), shaped like an SPDK vhost-user-blk setup: memfd boot RAM (-machine memory-backend), a vhost-user-blk disk
# and a vhost-user NIC (DPDK testpmd), DIMMs hotplugged later (here: two cold).
qemu-system-x86_64 \
  -machine pc-q35-8.2,memory-backend=pc.ram,accel=kvm \
  -cpu qemu64 \
  -m size=4G,slots=8,maxmem=12G \
  -object '{"qom-type":"memory-backend-memfd","id":"pc.ram","share":true,"size":4294967296}' \
  -chardev socket,id=spdk_vhost_blk0,path=/var/tmp/vhost.0 \
  -device '{"driver":"vhost-user-blk-pci","id":"blk0","chardev":"spdk_vhost_blk0","num-queues":2}' \
  -chardev socket,id=char1,path=/tmp/vhost-user1,server=on \
  -netdev '{"type":"vhost-user","id":"hostnet1","chardev":"char1","vhostforce":true,"queues":2}' \
  -device '{"driver":"virtio-net-pci","netdev":"hostnet1","id":"net1","mq":true}' \
  -object '{"qom-type":"memory-backend-memfd","id":"memdimm0","share":true,"size":1073741824}' \
  -device '{"driver":"pc-dimm","memdev":"memdimm0","id":"dimm0","slot":0}' \
  -object '{"qom-type":"memory-backend-memfd","id":"memdimm1","share":true,"size":1073741824}' \
  -device '{"driver":"pc-dimm","memdev":"memdimm1","id":"dimm1","slot":1}' \
  -nodefaults -nographic
