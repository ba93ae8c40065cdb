#include "textflag.h"

// func dotAVX(a, b []float32) float32
// Sixteen running sums in Y0 and Y1, folded as dotGo folds them.
TEXT ·dotAVX(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ b_base+24(FP), DI
	MOVQ a_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
loop16:
	CMPQ CX, $16
	JLT fold
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMULPS (DI), Y2, Y2
	VMULPS 32(DI), Y3, Y3
	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y1, Y1
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP loop16
fold:
	VADDPS Y1, Y0, Y0
	CMPQ CX, $8
	JLT reduce
	VMOVUPS (SI), Y2
	VMULPS (DI), Y2, Y2
	VADDPS Y2, Y0, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
reduce:
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
scalar:
	CMPQ CX, $0
	JEQ done
	VMOVSS (SI), X2
	VMULSS (DI), X2, X2
	VADDSS X2, X0, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP scalar
done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func axpyAVX(s float32, x, y []float32)
TEXT ·axpyAVX(SB), NOSPLIT, $0-56
	VBROADCASTSS s+0(FP), Y0
	MOVQ x_base+8(FP), SI
	MOVQ y_base+32(FP), DI
	MOVQ x_len+16(FP), CX
loop16:
	CMPQ CX, $16
	JLT loop8
	VMULPS (SI), Y0, Y2
	VMULPS 32(SI), Y0, Y3
	VADDPS (DI), Y2, Y2
	VADDPS 32(DI), Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP loop16
loop8:
	CMPQ CX, $8
	JLT scalar
	VMULPS (SI), Y0, Y2
	VADDPS (DI), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
scalar:
	CMPQ CX, $0
	JEQ done
	VMOVSS (SI), X2
	VMULSS X0, X2, X2
	VADDSS (DI), X2, X2
	VMOVSS X2, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP scalar
done:
	VZEROUPPER
	RET
