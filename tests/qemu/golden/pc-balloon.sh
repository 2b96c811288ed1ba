qemu-system-x86_64 \
    -machine pc \
    -accel tcg \
    -cpu qemu64,phys-bits=48,vendor=GenuineIntel,hv-vpindex=on,hv-runtime=on,hv-synic=on \
    -m size=4G,maxmem=62G \
    -object memory-backend-ram,id=mem-hvb,size=32G,reserve=off \
    -device vmbus-bridge \
    -device hv-balloon,id=hvb,memdev=mem-hvb
