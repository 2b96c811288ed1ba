"""Running a real QEMU: find it, launch it headless, talk QMP, start vhost-user back-ends.

`tui.qemu.verify` plays a configuration's timeline on it and compares with the engine.
"""
