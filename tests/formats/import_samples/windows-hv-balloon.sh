# A Windows guest with hv-balloon (QEMU >= 8.2), Hyper-V enlightenments, 32 GiB hot-add memdev.
qemu-system-x86_64 -enable-kvm -machine pc-q35-9.0 \
  -cpu host,hv-relaxed,hv-vapic,hv-spinlocks=0x1fff,hv-vpindex,hv-runtime,hv-synic,hv-stimer,hv-time \
  -m 8G,maxmem=104G \
  -object memory-backend-ram,id=mem-hvb,size=32G,reserve=off \
  -device vmbus-bridge \
  -device hv-balloon,id=hvb,memdev=mem-hvb \
  -drive file=win2022.qcow2,if=virtio -nodefaults -vga std \
  -device ivshmem-plain,memdev=shm0 -object memory-backend-file,id=shm0,mem-path=/dev/shm/looking-glass,size=32M,share=on
