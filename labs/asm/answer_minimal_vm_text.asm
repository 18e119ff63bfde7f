; The answer to lab 1, exercise 1 (labs/answer_minimal_vm_text.py, GUEST) in NASM syntax:
; the sum as a character on the debug console, port 0xE9, then a newline.
; nasm -f bin -o /tmp/text.bin labs/asm/answer_minimal_vm_text.asm   gives the same 13 bytes.
bits 16
org 0

    mov al, 2
    add al, 3
    add al, '0'         ; 0x30, the character '0': 5 becomes '5'
    out 0xe9, al
    mov al, 10          ; a newline
    out 0xe9, al
    hlt
