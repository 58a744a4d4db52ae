//go:build ignore

// gen_kernel_amd64 writes kernel_amd64.s, the AVX2/FMA 4-bit kernel: one copy
// of the row loop per block size (1 to avx2Block vectors), so that every
// vector's arithmetic is the same instruction sequence whatever the block
// holds. Run it with `go generate ./backend/quant/`.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

// maxBlock is avx2Block in kernel_amd64.go: vectors per pass over a row. Each
// vector takes two YMM registers (its row sum and its group dot product); the
// codes, the nibble mask, the scale and a temporary take five more of the 16.
const maxBlock = 5

// xRegs hold the start of each vector of the block (permuted columns).
var xRegs = [maxBlock]string{"R10", "R11", "R12", "R13", "BX"}

var out bytes.Buffer

func emit(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

func main() {
	out.WriteString(header)
	emit("// func affine4Rows(dst *float32, dstStride int, codes *uint32,")
	emit("//\tscales, biases *float32, x *float32, xStride int, xsum *float32,")
	emit("//\txsumStride int, rows, groups, groupSize, nb int)")
	emit("TEXT ·affine4Rows(SB), NOSPLIT, $32-104")
	emit("\t// Locals: byte strides of dst and xsum, the bytes of a row's groups")
	emit("\t// handled 8 at a time, and the bytes of all its groups.")
	emit("\tMOVQ dstStride+8(FP), AX")
	emit("\tSHLQ $2, AX")
	emit("\tMOVQ AX, 0(SP)")
	emit("\tMOVQ xsumStride+64(FP), AX")
	emit("\tSHLQ $2, AX")
	emit("\tMOVQ AX, 8(SP)")
	emit("\tMOVQ groups+80(FP), AX")
	emit("\tSHLQ $2, AX")
	emit("\tMOVQ AX, 24(SP)")
	emit("\tANDQ $-32, AX")
	emit("\tMOVQ AX, 16(SP)")
	emit("\tCMPQ rows+72(FP), $0")
	emit("\tJLE done")
	emit("\tMOVL $15, AX")
	emit("\tMOVQ AX, X12")
	emit("\tVPBROADCASTD X12, Y12")
	emit("\tMOVQ nb+96(FP), AX")
	for k := 1; k <= maxBlock; k++ {
		emit("\tCMPQ AX, $%d", k)
		emit("\tJEQ nb%d", k)
	}
	emit("\tJMP done")
	for k := 1; k <= maxBlock; k++ {
		body(k)
	}
	emit("done:")
	emit("\tVZEROUPPER")
	emit("\tRET")
	out.WriteString(converters)
	if err := os.WriteFile("kernel_amd64.s", out.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// body emits the row loop for blocks of k vectors. Registers: DI the row's
// output for vector 0, SI the codes, R8 the scales, R9 the biases, xRegs the
// current columns of each vector, R14 the byte stride between vectors, AX and
// DX loop counters; Y0..Y4 the row sums, Y5..Y9 the group dot products.
func body(k int) {
	acc := func(b int) string { return fmt.Sprintf("Y%d", b) }
	dot := func(b int) string { return fmt.Sprintf("Y%d", 5+b) }
	l := func(name string) string { return fmt.Sprintf("nb%d_%s", k, name) }

	emit("")
	emit("nb%d:", k)
	emit("\tMOVQ dst+0(FP), DI")
	emit("\tMOVQ codes+16(FP), SI")
	emit("\tMOVQ scales+24(FP), R8")
	emit("\tMOVQ biases+32(FP), R9")
	emit("\tMOVQ xStride+48(FP), R14")
	emit("\tSHLQ $2, R14")

	emit("%s:", l("row"))
	emit("\tMOVQ x+40(FP), R10")
	for b := 1; b < k; b++ {
		emit("\tLEAQ (%s)(R14*1), %s", xRegs[b-1], xRegs[b])
	}
	for b := range k {
		emit("\tVXORPS %s, %s, %s", acc(b), acc(b), acc(b))
	}
	emit("\tMOVQ groups+80(FP), AX")

	// One group: its dot product with each vector, 32 columns per step.
	emit("%s:", l("group"))
	for b := range k {
		emit("\tVXORPS %s, %s, %s", dot(b), dot(b), dot(b))
	}
	emit("\tMOVQ groupSize+88(FP), DX")
	emit("\tSHRQ $5, DX")
	emit("%s:", l("step"))
	for half := range 2 {
		// 8 bytes of codes: lane i holds byte i, whose low nibble is column
		// 2i and high nibble column 2i+1 of these 16; the vectors are
		// permuted to match (evens, then odds). The high nibble stays in
		// place, 16 times the code: the odd columns are divided by 16 in
		// the permuted vectors, so each product is the same, and a logic
		// op (any of three ports) replaces a shift (two of them, which the
		// FMAs need).
		emit("\tVPMOVZXBD %d(SI), Y10", 8*half)
		emit("\tVPAND Y12, Y10, Y11")
		emit("\tVPXOR Y11, Y10, Y10")
		emit("\tVCVTDQ2PS Y11, Y11")
		emit("\tVCVTDQ2PS Y10, Y10")
		for b := range k {
			emit("\tVFMADD231PS %d(%s), Y11, %s", 64*half, xRegs[b], dot(b))
			emit("\tVFMADD231PS %d(%s), Y10, %s", 64*half+32, xRegs[b], dot(b))
		}
	}
	// Plain base+offset operands: an indexed memory operand would cost
	// each FMA an extra micro-op (unlaminated) on Intel cores.
	emit("\tADDQ $16, SI")
	for b := range k {
		emit("\tSUBQ $-128, %s", xRegs[b])
	}
	emit("\tDECQ DX")
	emit("\tJNZ %s", l("step"))

	// Scale the group's dot products into the row sums.
	emit("\tVBROADCASTSS (R8), Y13")
	emit("\tADDQ $4, R8")
	for b := range k {
		emit("\tVFMADD231PS Y13, %s, %s", dot(b), acc(b))
	}
	emit("\tDECQ AX")
	emit("\tJNZ %s", l("group"))

	// Per vector: add bias*xsum over the row's groups (8 lanes, then the
	// rest one by one after the lanes are summed), store.
	emit("\tMOVQ xsum+56(FP), R15")
	emit("\tMOVQ DI, DX")
	for b := range k {
		lb := func(name string) string { return fmt.Sprintf("nb%d_v%d_%s", k, b, name) }
		x := fmt.Sprintf("X%d", b)
		emit("\tXORL CX, CX")
		emit("%s:", lb("bias8"))
		emit("\tCMPQ CX, 16(SP)")
		emit("\tJAE %s", lb("reduce"))
		emit("\tVMOVUPS (R9)(CX*1), Y13")
		emit("\tVFMADD231PS (R15)(CX*1), Y13, %s", acc(b))
		emit("\tADDQ $32, CX")
		emit("\tJMP %s", lb("bias8"))
		emit("%s:", lb("reduce"))
		emit("\tVEXTRACTF128 $1, %s, X14", acc(b))
		emit("\tVADDPS X14, %s, %s", x, x)
		emit("\tVMOVHLPS %s, %s, X14", x, x)
		emit("\tVADDPS X14, %s, %s", x, x)
		emit("\tVMOVSHDUP %s, X14", x)
		emit("\tVADDSS X14, %s, %s", x, x)
		emit("%s:", lb("bias1"))
		emit("\tCMPQ CX, 24(SP)")
		emit("\tJAE %s", lb("store"))
		emit("\tVMOVSS (R9)(CX*1), X13")
		emit("\tVFMADD231SS (R15)(CX*1), X13, %s", x)
		emit("\tADDQ $4, CX")
		emit("\tJMP %s", lb("bias1"))
		emit("%s:", lb("store"))
		emit("\tVMOVSS %s, (DX)", x)
		emit("\tADDQ 0(SP), DX")
		emit("\tADDQ 8(SP), R15")
	}
	emit("\tADDQ 24(SP), R9")
	emit("\tADDQ $4, DI")
	emit("\tDECQ rows+72(FP)")
	emit("\tJNZ %s", l("row"))
	emit("\tJMP done")
}

const header = `// Code generated by gen_kernel_amd64.go; DO NOT EDIT.

//go:build amd64 && !noasm

#include "textflag.h"

// affine4Rows: see kernel_amd64.go. For each row and each vector b of the
// block, each group's dot product of codes and vector starts from zero in 8
// lanes and adds 32 columns per step (two FMAs per 16 columns); the row sum
// (8 lanes) adds scale*dot per group, then bias*xsum 8 groups at a time; the
// lanes are summed as (l0+l4, l1+l5, l2+l6, l3+l7), then pairwise; leftover
// groups' bias*xsum follow one by one.

`

const converters = `
// func bf16ToF32(dst []float32, src []uint16)
// dst must hold len(src) floats; BF16 is the top half of a float32.
TEXT ·bf16ToF32(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
bf16_8:
	CMPQ CX, $8
	JB bf16_1
	VPMOVZXWD (SI), Y0
	VPSLLD $16, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP bf16_8
bf16_1:
	TESTQ CX, CX
	JZ bf16_done
	MOVWLZX (SI), AX
	SHLL $16, AX
	MOVL AX, (DI)
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JMP bf16_1
bf16_done:
	VZEROUPPER
	RET

// func f16ToF32(dst []float32, src []uint16)
// dst must hold len(src) floats; the conversion is exact (F16C).
TEXT ·f16ToF32(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
f16_8:
	CMPQ CX, $8
	JB f16_1
	VCVTPH2PS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP f16_8
f16_1:
	TESTQ CX, CX
	JZ f16_done
	MOVWLZX (SI), AX
	MOVQ AX, X0
	VCVTPH2PS X0, X0
	VMOVSS X0, (DI)
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JMP f16_1
f16_done:
	VZEROUPPER
	RET
`
