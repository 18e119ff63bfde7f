"""动手实验 (hands-on labs): small programs that run virtual machines on the real KVM.

Each lab is a script (`python3 labs/<name>.py`); `labs/vmm.py` is the one small virtual machine
monitor they share, and `python3 -m labs.vmm GUEST.bin` runs any flat guest binary. Standard
library only. The pages under docs/labs/ include these files as text.
"""
