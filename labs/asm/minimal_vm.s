# Lab 1's guest (labs/minimal_vm.py, GUEST) for the GNU assembler, in Intel syntax.
#   as -o /tmp/add.o labs/asm/minimal_vm.s && objcopy -O binary -j .text /tmp/add.o /tmp/add.bin
# gives the same 7 bytes.
    .code16                     # real mode: 16-bit code
    .intel_syntax noprefix
    mov al, 2
    add al, 3
    out 0x10, al                # KVM_EXIT_IO: the program prints the sum
    hlt                         # KVM_EXIT_HLT: the guest is done
