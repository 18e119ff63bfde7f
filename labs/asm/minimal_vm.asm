; Lab 1's guest (labs/minimal_vm.py, GUEST) in NASM syntax.
; nasm -f bin -o /tmp/add.bin labs/asm/minimal_vm.asm   gives the same 7 bytes.
bits 16                 ; real mode: 16-bit code
org 0                   ; loaded at guest-physical address 0

    mov al, 2
    add al, 3
    out 0x10, al        ; KVM_EXIT_IO: the program prints the sum
    hlt                 ; KVM_EXIT_HLT: the guest is done
