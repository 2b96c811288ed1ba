# Shaped like a Kata Containers 3.x QEMU sandbox (ps output, reflowed): shared memory file
# backend for virtio-fs, memory_slots = 10, maxmem from host RAM, vhost-net on a tap.
/opt/kata/bin/qemu-system-x86_64 \
  -name sandbox-8f1c2e,debug-threads=on \
  -uuid 6a1e1d0c-2c4f-4b8e-9a7d-3d5e0c8a9b21 \
  -machine q35,accel=kvm,nvdimm=on \
  -cpu host,pmu=off \
  -qmp unix:fd=3,server=on,wait=off \
  -m 2048M,slots=10,maxmem=257720M \
  -device pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,shpc=off,addr=2,io-reserve=4k,mem-reserve=1m,pref64-reserve=1m \
  -device virtio-serial-pci,disable-modern=false,id=serial0 \
  -device virtconsole,chardev=charconsole0,id=console0 \
  -chardev socket,id=charconsole0,path=/run/vc/vm/8f1c2e/console.sock,server=on,wait=off \
  -object memory-backend-file,id=dimm1,size=2048M,mem-path=/opt/kata/share/kata-containers/kata-containers.img,share=on,readonly=on \
  -device nvdimm,id=nv0,memdev=dimm1,unarmed=on \
  -device vhost-vsock-pci,disable-modern=false,vhostfd=3,id=vsock-2157125574,guest-cid=2157125574 \
  -chardev socket,id=char-8a2d56d3c1d2e2c1,path=/run/vc/vm/8f1c2e/vhost-fs.sock \
  -device vhost-user-fs-pci,chardev=char-8a2d56d3c1d2e2c1,tag=kataShared,queue-size=1024 \
  -netdev tap,id=network-0,vhost=on,vhostfds=4,fds=5 \
  -device driver=virtio-net-pci,netdev=network-0,mac=2a:c8:6d:5e:11:0f,disable-modern=false,mq=on,vectors=4 \
  -rtc base=utc,driftfix=slew,clock=host \
  -global kvm-pit.lost_tick_policy=discard \
  -vga none -no-user-config -nodefaults -nographic --no-reboot \
  -object memory-backend-file,id=entire-guest-memory,size=2048M,mem-path=/dev/shm,share=on \
  -numa node,memdev=entire-guest-memory \
  -kernel /opt/kata/share/kata-containers/vmlinux.container \
  -append "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 console=hvc0 quiet" \
  -pidfile /run/vc/vm/8f1c2e/pid -smp 1,cores=1,threads=1,sockets=4,maxcpus=4
