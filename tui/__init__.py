"""memslot-explorer: see how QEMU hands out KVM and vhost memslots before you touch a real VM."""

__version__ = "0.1.0"
