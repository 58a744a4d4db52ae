//go:build ignore

// gen_kernel_amd64 writes kernel_amd64.s, the 4-bit kernels for AVX2/FMA
// (8 lanes), AVX-512 (16 lanes) and AVX-512 VNNI (packed codes, integer
// digits of x; see packed.go): for each, one copy of the loop per block size,
// so that every vector's arithmetic is the same instruction sequence whatever
// the block holds. Run it with `go generate ./backend/quant/`.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"
)

// isa describes one kernel: its symbol, vector registers and block size.
type isa struct {
	name     string   // TEXT symbol
	label    string   // prefix of its labels
	reg      string   // vector register prefix: "Y" or "Z"
	lanes    int      // float32 lanes per register
	maxBlock int      // vectors per pass: two registers each
	xRegs    []string // the current columns of each vector of the block
	// Registers besides the row sums (0..maxBlock-1) and the group dot
	// products (maxBlock..2*maxBlock-1).
	codes, codes2, mask, scale int
}

var isas = []isa{
	// 16 YMM registers: 5 vectors take 10, the codes, mask and scale 4.
	{name: "affine4Rows", label: "y", reg: "Y", lanes: 8, maxBlock: 5,
		xRegs: []string{"R10", "R11", "R12", "R13", "BX"},
		codes: 10, codes2: 11, mask: 12, scale: 13},
	// 32 ZMM registers: 8 vectors take 16. The group counter moves to the
	// stack to free a general register for the eighth vector.
	{name: "affine4Rows512", label: "z", reg: "Z", lanes: 16, maxBlock: 8,
		xRegs: []string{"R10", "R11", "R12", "R13", "BX", "CX", "R15", "AX"},
		codes: 16, codes2: 17, mask: 18, scale: 19},
}

// prefetchAhead is how far ahead of the current codes the kernels
// prefetch, in bytes: 16 cache lines.
const prefetchAhead = 1024

var out bytes.Buffer

func emit(format string, args ...any) { fmt.Fprintf(&out, format+"\n", args...) }

func main() {
	out.WriteString(header)
	for _, k := range isas {
		kernel(k)
	}
	for _, f := range []string{"BF16", "F16"} {
		packedKernel(f)
	}
	out.WriteString(converters)
	path := "kernel_amd64.s"
	if len(os.Args) > 1 {
		path = os.Args[1] // for the test that checks the committed file is current
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// kernel emits one TEXT symbol: the prologue, a jump on the block size and
// one row loop per block size.
func kernel(k isa) {
	r := func(i int) string { return fmt.Sprintf("%s%d", k.reg, i) }
	emit("")
	emit("// func %s(dst *float32, dstStride int, codes *uint32,", k.name)
	emit("//\tscales, biases *float32, x *float32, xStride int, xsum *float32,")
	emit("//\txsumStride int, rows, groups, groupSize, nb int)")
	emit("TEXT ·%s(SB), NOSPLIT, $40-104", k.name)
	emit("\t// Locals: byte strides of dst and xsum, the bytes of a row's groups")
	emit("\t// handled 8 at a time, the bytes of all its groups, a group counter.")
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
	emit("\tJLE %s_done", k.label)
	emit("\tMOVL $15, AX")
	emit("\tMOVQ AX, X0")
	emit("\tVPBROADCASTD X0, %s", r(k.mask))
	emit("\tMOVQ nb+96(FP), AX")
	for nb := 1; nb <= k.maxBlock; nb++ {
		emit("\tCMPQ AX, $%d", nb)
		emit("\tJEQ %s%d", k.label, nb)
	}
	emit("\tJMP %s_done", k.label)
	for nb := 1; nb <= k.maxBlock; nb++ {
		body(k, nb)
	}
	emit("%s_done:", k.label)
	emit("\tVZEROUPPER")
	emit("\tRET")
}

// body emits the row loop for blocks of nb vectors. Registers: DI the row's
// output for vector 0, SI the codes, R8 the scales, R9 the biases, xRegs the
// current columns of each vector, R14 the byte stride between vectors, DX the
// step counter and AX (AVX2) or 32(SP) (AVX-512) the group counter. Vector
// registers 0..nb-1 hold the row sums, maxBlock.. the group dot products. At
// the end of a row the x registers are free and serve as scratch.
func body(k isa, nb int) {
	r := func(i int) string { return fmt.Sprintf("%s%d", k.reg, i) }
	acc := func(b int) string { return r(b) }
	dot := func(b int) string { return r(k.maxBlock + b) }
	l := func(name string) string { return fmt.Sprintf("%s%d_%s", k.label, nb, name) }
	codes, codes2 := r(k.codes), r(k.codes2)
	// AVX-512 has only the element-sized forms of the logic ops (VPANDD),
	// AVX2 only the plain ones, and VXORPS on ZMM would need AVX512DQ.
	groupCounter, and, xor, zero := "AX", "VPAND", "VPXOR", "VXORPS"
	if k.reg == "Z" {
		groupCounter, and, xor, zero = "32(SP)", "VPANDD", "VPXORD", "VPXORD"
	}
	bytesPerLoad := k.lanes // code bytes per load: one per lane, two columns each
	xBytes := 4 * k.lanes   // bytes of one register of x

	emit("")
	emit("%s%d:", k.label, nb)
	emit("\tMOVQ dst+0(FP), DI")
	emit("\tMOVQ codes+16(FP), SI")
	emit("\tMOVQ scales+24(FP), R8")
	emit("\tMOVQ biases+32(FP), R9")
	emit("\tMOVQ xStride+48(FP), R14")
	emit("\tSHLQ $2, R14")

	emit("%s:", l("row"))
	emit("\tMOVQ x+40(FP), %s", k.xRegs[0])
	for b := 1; b < nb; b++ {
		emit("\tLEAQ (%s)(R14*1), %s", k.xRegs[b-1], k.xRegs[b])
	}
	for b := range nb {
		emit("\t%s %s, %s, %s", zero, acc(b), acc(b), acc(b))
	}
	emit("\tMOVQ groups+80(FP), DX")
	emit("\tMOVQ DX, %s", groupCounter)

	// One group: its dot product with each vector, 32 columns per step.
	emit("%s:", l("group"))
	for b := range nb {
		emit("\t%s %s, %s, %s", zero, dot(b), dot(b), dot(b))
	}
	emit("\tMOVQ groupSize+88(FP), DX")
	emit("\tSHRQ $5, DX")
	emit("%s:", l("step"))
	// Fetch codes well ahead: DRAM latency is hundreds of cycles, more
	// than the hardware prefetcher hides when a batch makes each step
	// long. Prefetching past the end of the codes is harmless.
	emit("\tPREFETCHT0 %d(SI)", prefetchAhead)
	for load := range 32 / (2 * k.lanes) {
		// One byte of codes per lane: lane i holds byte i, whose low nibble
		// is column 2i and high nibble column 2i+1 of these 2*lanes; the
		// vectors are permuted to match (evens, then odds). The high
		// nibble stays in place, 16 times the code: the odd columns are
		// divided by 16 in the permuted vectors, so each product is the
		// same, and a logic op (any of three ports) replaces a shift (two
		// of them, which the FMAs need).
		emit("\tVPMOVZXBD %d(SI), %s", bytesPerLoad*load, codes)
		emit("\t%s %s, %s, %s", and, r(k.mask), codes, codes2)
		emit("\t%s %s, %s, %s", xor, codes2, codes, codes)
		emit("\tVCVTDQ2PS %s, %s", codes2, codes2)
		emit("\tVCVTDQ2PS %s, %s", codes, codes)
		for b := range nb {
			off := 2 * xBytes * load
			emit("\tVFMADD231PS %d(%s), %s, %s", off, k.xRegs[b], codes2, dot(b))
			emit("\tVFMADD231PS %d(%s), %s, %s", off+xBytes, k.xRegs[b], codes, dot(b))
		}
	}
	// Plain base+offset operands: an indexed memory operand would cost
	// each FMA an extra micro-op (unlaminated) on Intel cores.
	emit("\tADDQ $16, SI")
	for b := range nb {
		emit("\tSUBQ $-128, %s", k.xRegs[b])
	}
	emit("\tDECQ DX")
	emit("\tJNZ %s", l("step"))

	// Scale the group's dot products into the row sums.
	emit("\tVBROADCASTSS (R8), %s", r(k.scale))
	emit("\tADDQ $4, R8")
	for b := range nb {
		emit("\tVFMADD231PS %s, %s, %s", r(k.scale), dot(b), acc(b))
	}
	emit("\tDECQ %s", groupCounter)
	emit("\tJNZ %s", l("group"))

	// Per vector: fold 16 lanes to 8 (AVX-512), add bias*xsum over the
	// row's groups (8 lanes, then the rest one by one after the lanes are
	// summed), store. Y/X registers maxBlock and maxBlock+1 are scratch
	// (their group dot products are spent); all encodings here are VEX.
	emit("\tMOVQ xsum+56(FP), R15")
	emit("\tMOVQ DI, DX")
	t0, t1 := k.maxBlock, k.maxBlock+1
	for b := range nb {
		lb := func(name string) string { return fmt.Sprintf("%s%d_v%d_%s", k.label, nb, b, name) }
		y, x := fmt.Sprintf("Y%d", b), fmt.Sprintf("X%d", b)
		if k.reg == "Z" {
			emit("\tVEXTRACTF64X4 $1, Z%d, Y%d", b, t0)
			emit("\tVADDPS Y%d, %s, %s", t0, y, y)
		}
		emit("\tXORL CX, CX")
		emit("%s:", lb("bias8"))
		emit("\tCMPQ CX, 16(SP)")
		emit("\tJAE %s", lb("reduce"))
		emit("\tVMOVUPS (R9)(CX*1), Y%d", t1)
		emit("\tVFMADD231PS (R15)(CX*1), Y%d, %s", t1, y)
		emit("\tADDQ $32, CX")
		emit("\tJMP %s", lb("bias8"))
		emit("%s:", lb("reduce"))
		emit("\tVEXTRACTF128 $1, %s, X%d", y, t0)
		emit("\tVADDPS X%d, %s, %s", t0, x, x)
		emit("\tVMOVHLPS %s, %s, X%d", x, x, t0)
		emit("\tVADDPS X%d, %s, %s", t0, x, x)
		emit("\tVMOVSHDUP %s, X%d", x, t0)
		emit("\tVADDSS X%d, %s, %s", t0, x, x)
		emit("%s:", lb("bias1"))
		emit("\tCMPQ CX, 24(SP)")
		emit("\tJAE %s", lb("store"))
		emit("\tVMOVSS (R9)(CX*1), X%d", t1)
		emit("\tVFMADD231SS (R15)(CX*1), X%d, %s", t1, x)
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
	emit("\tJMP %s_done", k.label)
}

// packedPrefetch is how far ahead of the current codes the packed kernels
// prefetch, in bytes.
const packedPrefetch = 4096

// packedMaxBlock is the most vectors one pass of the packed kernels takes:
// three digit sums and a row sum per vector, 20 of the 32 ZMM registers.
const packedMaxBlock = 5

// packedKernel emits affine4Packed<scales>: the AVX-512 VNNI kernel over
// packed codes (see packed.go), for scales and biases in BF16 or F16.
//
// Registers: Z(3b+d) digit sum d of vector b, Z(15+b) its row sums; Z20 and
// Z21 the low and high nibbles of one word of 16 rows; Z22 the nibble mask;
// Z23 65536.0; Z24 and Z25 the group's scales and biases of the 16 rows;
// Z26-Z28 scratch. DI the block's output for vector 0, SI the codes, R8 and
// R9 the scales and biases, R10 the current word's digits, R11 their stride
// between words, R12 the current group's factors and sums, R13 their stride
// between groups, R14 the byte stride of dst between vectors, AX the group
// counter, DX the word counter, BX the store address.
func packedKernel(scales string) {
	name := "affine4Packed" + scales
	label := "p" + strings.ToLower(scales)
	emit("")
	emit("// func %s(dst *float32, dstStride int, codes *uint32,", name)
	emit("//\tscales, biases *uint16, digits *int32, digitStride int, factors *float32,")
	emit("//\tfactorStride int, blocks, groups, wordsPerGroup, nb int)")
	emit("TEXT ·%s(SB), NOSPLIT, $0-104", name)
	emit("\tCMPQ blocks+72(FP), $0")
	emit("\tJLE %s_done", label)
	emit("\tMOVL $0x0f0f0f0f, AX")
	emit("\tMOVQ AX, X0")
	emit("\tVPBROADCASTD X0, Z22")
	emit("\tMOVL $0x47800000, AX // 65536.0")
	emit("\tMOVQ AX, X0")
	emit("\tVPBROADCASTD X0, Z23")
	emit("\tMOVQ nb+96(FP), AX")
	for nb := 1; nb <= packedMaxBlock; nb++ {
		emit("\tCMPQ AX, $%d", nb)
		emit("\tJEQ %s%d", label, nb)
	}
	emit("\tJMP %s_done", label)
	for nb := 1; nb <= packedMaxBlock; nb++ {
		packedBody(label, scales, nb)
	}
	emit("%s_done:", label)
	emit("\tVZEROUPPER")
	emit("\tRET")
}

// packedBody emits the block loop of the packed kernel for nb vectors.
func packedBody(label, scales string, nb int) {
	z := func(i int) string { return fmt.Sprintf("Z%d", i) }
	digitSum := func(b, d int) string { return z(3*b + d) }
	rowSum := func(b int) string { return z(15 + b) }
	l := func(name string) string { return fmt.Sprintf("%s%d_%s", label, nb, name) }

	emit("")
	emit("%s%d:", label, nb)
	emit("\tMOVQ dst+0(FP), DI")
	emit("\tMOVQ codes+16(FP), SI")
	emit("\tMOVQ scales+24(FP), R8")
	emit("\tMOVQ biases+32(FP), R9")
	emit("\tMOVQ digitStride+48(FP), R11")
	emit("\tMOVQ factorStride+64(FP), R13")
	emit("\tMOVQ dstStride+8(FP), R14")
	emit("\tSHLQ $2, R14")

	// One block of 16 rows: every group, then the row sums to dst.
	emit("%s:", l("block"))
	emit("\tMOVQ digits+40(FP), R10")
	emit("\tMOVQ factors+56(FP), R12")
	for b := range nb {
		emit("\tVPXORD %s, %s, %s", rowSum(b), rowSum(b), rowSum(b))
	}
	emit("\tMOVQ groups+80(FP), AX")

	// One group: the three digit sums of each vector start from zero and
	// take every word of the group, 8 columns of 16 rows each.
	emit("%s:", l("group"))
	for b := range nb {
		for d := range 3 {
			r := digitSum(b, d)
			emit("\tVPXORD %s, %s, %s", r, r, r)
		}
	}
	emit("\tMOVQ wordsPerGroup+88(FP), DX")
	emit("%s:", l("word"))
	emit("\tPREFETCHT0 %d(SI)", packedPrefetch)
	// Byte i of a lane holds columns 2i (low nibble) and 2i+1 (high
	// nibble) of its row; each nibble becomes a byte of its own, and the
	// digits of x come as even and odd columns to match.
	emit("\tVMOVDQU32 (SI), Z20")
	emit("\tVPSRLD $4, Z20, Z21")
	emit("\tVPANDD Z22, Z20, Z20")
	emit("\tVPANDD Z22, Z21, Z21")
	for b := range nb {
		for d := range 3 {
			off := 24*b + 8*d
			emit("\tVPDPBUSD.BCST %d(R10), Z20, %s", off, digitSum(b, d))
			emit("\tVPDPBUSD.BCST %d(R10), Z21, %s", off+4, digitSum(b, d))
		}
	}
	emit("\tADDQ $64, SI")
	emit("\tADDQ R11, R10")
	emit("\tDECQ DX")
	emit("\tJNZ %s", l("word"))

	// The group's scales and biases of the 16 rows as float32.
	if scales == "BF16" {
		emit("\tVPMOVZXWD (R8), Z24")
		emit("\tVPSLLD $16, Z24, Z24")
		emit("\tVPMOVZXWD (R9), Z25")
		emit("\tVPSLLD $16, Z25, Z25")
	} else {
		emit("\tVCVTPH2PS (R8), Z24")
		emit("\tVCVTPH2PS (R9), Z25")
	}
	emit("\tADDQ $32, R8")
	emit("\tADDQ $32, R9")
	// Per vector: the exact integer dot product is sum0*65536 +
	// (sum1*256 + sum2), which fits an int32 but for sum0's part; its
	// float32 value, times the vector's power-of-two factor (exact), times
	// the scale, goes to the row sum; then the bias times the group's sum.
	for b := range nb {
		emit("\tVPSLLD $8, %s, Z26", digitSum(b, 1))
		emit("\tVPADDD %s, Z26, Z26", digitSum(b, 2))
		emit("\tVCVTDQ2PS %s, Z27", digitSum(b, 0))
		emit("\tVCVTDQ2PS Z26, Z26")
		emit("\tVFMADD213PS Z26, Z23, Z27")
		emit("\tVMULPS.BCST %d(R12), Z27, Z27", 8*b)
		emit("\tVFMADD231PS Z24, Z27, %s", rowSum(b))
		emit("\tVFMADD231PS.BCST %d(R12), Z25, %s", 8*b+4, rowSum(b))
	}
	emit("\tADDQ R13, R12")
	emit("\tDECQ AX")
	emit("\tJNZ %s", l("group"))

	emit("\tMOVQ DI, BX")
	for b := range nb {
		emit("\tVMOVUPS %s, (BX)", rowSum(b))
		if b < nb-1 {
			emit("\tADDQ R14, BX")
		}
	}
	emit("\tADDQ $64, DI")
	emit("\tDECQ blocks+72(FP)")
	emit("\tJNZ %s", l("block"))
	emit("\tJMP %s_done", label)
}

const header = `// Code generated by gen_kernel_amd64.go; DO NOT EDIT.

//go:build amd64 && !noasm

#include "textflag.h"

// affine4Rows (AVX2/FMA, 8 lanes) and affine4Rows512 (AVX-512, 16 lanes):
// see kernel_amd64.go. For each row and each vector b of the block, each
// group's dot product of codes and vector starts from zero in all lanes and
// adds 32 columns per step (one FMA per register of codes); the row sum adds
// scale*dot per group; 16 lanes are folded to 8 (l_i + l_(i+8)); the row sum
// adds bias*xsum 8 groups at a time; the 8 lanes are summed as (l0+l4,
// l1+l5, l2+l6, l3+l7), then pairwise; leftover groups' bias*xsum follow one
// by one. affine4PackedBF16 and affine4PackedF16 (AVX-512 VNNI): see
// packedKernel in the generator.
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
