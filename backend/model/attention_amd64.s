//go:build amd64 && !noasm

#include "textflag.h"

// The loops of attention.go in AVX2, each product and sum rounded as Go
// rounds them (VMULPS then VADDPS, never a fused multiply-add).

// func keyScoresAVX2Asm(scores *float32, n int, q *float32, dim int, k *float32, stride int,
//	scale float32)
TEXT ·keyScoresAVX2Asm(SB), NOSPLIT, $0-52
	MOVQ scores+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ q+16(FP), SI
	MOVQ dim+24(FP), DX
	MOVQ k+32(FP), R8
	MOVQ stride+40(FP), R9
	SHLQ $2, R9
	MOVSS scale+48(FP), X7
	MOVQ DX, R10
	ANDQ $-8, R10 // the elements summed in lanes

key:
	// Lane j sums elements j, j+8, ...
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

lanes:
	CMPQ AX, R10
	JAE fold
	VMOVUPS (SI)(AX*4), Y1
	VMULPS (R8)(AX*4), Y1, Y1
	VADDPS Y1, Y0, Y0
	ADDQ $8, AX
	JMP lanes

fold:
	// ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7)).
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0

rest:
	// The elements past the last multiple of 8, one by one.
	CMPQ AX, DX
	JAE store
	VMOVSS (SI)(AX*4), X1
	VMULSS (R8)(AX*4), X1, X1
	VADDSS X1, X0, X0
	INCQ AX
	JMP rest

store:
	VMULSS X7, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R9, R8
	DECQ CX
	JNZ key
	VZEROUPPER
	RET

// func addWeightedRowsAVX2Asm(out *float32, dim int, v *float32, stride int, w *float32, n int)
TEXT ·addWeightedRowsAVX2Asm(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ dim+8(FP), DX
	MOVQ v+16(FP), SI
	MOVQ stride+24(FP), R9
	SHLQ $2, R9
	MOVQ w+32(FP), R8
	MOVQ n+40(FP), CX
	XORQ AX, AX // the first element of the current block of out

block32:
	// 32 elements of out in four registers over all n rows.
	LEAQ 32(AX), BX
	CMPQ BX, DX
	JA block8
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VMOVUPS 64(DI)(AX*4), Y2
	VMOVUPS 96(DI)(AX*4), Y3
	LEAQ (SI)(AX*4), R10
	XORQ R11, R11

rows32:
	VBROADCASTSS (R8)(R11*4), Y4
	VMULPS (R10), Y4, Y5
	VADDPS Y5, Y0, Y0
	VMULPS 32(R10), Y4, Y6
	VADDPS Y6, Y1, Y1
	VMULPS 64(R10), Y4, Y7
	VADDPS Y7, Y2, Y2
	VMULPS 96(R10), Y4, Y8
	VADDPS Y8, Y3, Y3
	ADDQ R9, R10
	INCQ R11
	CMPQ R11, CX
	JB rows32
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	MOVQ BX, AX
	JMP block32

block8:
	LEAQ 8(AX), BX
	CMPQ BX, DX
	JA done
	VMOVUPS (DI)(AX*4), Y0
	LEAQ (SI)(AX*4), R10
	XORQ R11, R11

rows8:
	VBROADCASTSS (R8)(R11*4), Y4
	VMULPS (R10), Y4, Y5
	VADDPS Y5, Y0, Y0
	ADDQ R9, R10
	INCQ R11
	CMPQ R11, CX
	JB rows8
	VMOVUPS Y0, (DI)(AX*4)
	MOVQ BX, AX
	JMP block8

done:
	VZEROUPPER
	RET
