package clone

// Structs, exported and unexported fields alike.
//
// A struct's plan is a flat list of operations: runs of adjacent
// pointer-free immutable fields become one byte copy, strings and other
// immutable pointer words are assigned, and plain nested structs are
// inlined into their parent's list; only fields that need work of their
// own (slices, maps, pointers, interfaces, special types) call their
// plan. A struct whose fields are all immutable is one block copy.

import (
	"reflect"
	"unsafe"
)

type opKind uint8

const (
	opRaw   opKind = iota // pointer-free bytes [off, off+size)
	opStr                 // a string
	opWord                // one immutable pointer word (*time.Location)
	opIface               // an immutable two-word interface (error)
	opTyped               // an immutable value of p's type, with write barriers
	opPlan                // anything else: p.copy, or p.word for pointer-shaped types
)

type fieldOp struct {
	kind opKind
	off  uintptr
	size uintptr
	p    *plan
	seg  string // path segment(s) from the struct to the field: ".A.B"
}

func compileStruct(b *builder, p *plan) {
	p.kind = kindStruct
	var ops []fieldOp
	flattenStruct(b, p.t, 0, "", &ops)
	p.imm = true
	for _, op := range ops {
		if op.kind == opPlan {
			p.imm = false
		}
	}
	if p.imm {
		p.copy = blockCopy(p)
		return
	}
	p.ops = ops
	p.copy = p.structCopy
	if p.direct {
		// One pointer-shaped field at offset 0, the rest zero-size.
		for _, op := range ops {
			if op.kind == opPlan && op.off == 0 && op.p.word != nil && op.p.size == p.size {
				fp := op.p
				seg := op.seg
				p.word = func(st *state, w unsafe.Pointer) (unsafe.Pointer, error) {
					nw, err := fp.word(st, w)
					if err != nil {
						return nil, wrap(err, seg)
					}
					return nw, nil
				}
			}
		}
	}
}

// flattenStruct appends the operations copying the fields of t, placed at
// off in the outermost struct and reached through the path prefix.
func flattenStruct(b *builder, t reflect.Type, off uintptr, prefix string, ops *[]fieldOp) {
	for i := range t.NumField() {
		f := t.Field(i)
		fp := b.plan(f.Type)
		o := off + f.Offset
		seg := prefix + "." + f.Name
		switch {
		case fp.size == 0 && fp.imm:
		case fp.imm && !fp.ptrs:
			if n := len(*ops); n > 0 && (*ops)[n-1].kind == opRaw {
				last := &(*ops)[n-1]
				last.size = o + fp.size - last.off // covers the padding between
				continue
			}
			*ops = append(*ops, fieldOp{kind: opRaw, off: o, size: fp.size})
		case fp.imm && f.Type.Kind() == reflect.String:
			*ops = append(*ops, fieldOp{kind: opStr, off: o})
		case fp.imm && f.Type.Kind() == reflect.Interface:
			*ops = append(*ops, fieldOp{kind: opIface, off: o})
		case fp.imm && fp.direct:
			*ops = append(*ops, fieldOp{kind: opWord, off: o})
		case fp.kind == kindStruct:
			flattenStruct(b, f.Type, o, seg, ops)
		case fp.imm:
			*ops = append(*ops, fieldOp{kind: opTyped, off: o, p: fp})
		default:
			*ops = append(*ops, fieldOp{kind: opPlan, off: o, p: fp, seg: seg})
		}
	}
}

// structCopy runs the operations of a struct with mutable fields.
func (p *plan) structCopy(st *state, dst, src unsafe.Pointer) error {
	for i := range p.ops {
		op := &p.ops[i]
		d, s := unsafe.Add(dst, op.off), unsafe.Add(src, op.off)
		switch op.kind {
		case opRaw:
			memmove(d, s, op.size)
		case opStr:
			*(*string)(d) = *(*string)(s)
		case opWord:
			*(*unsafe.Pointer)(d) = *(*unsafe.Pointer)(s)
		case opIface:
			*(*iface)(d) = *(*iface)(s)
		case opTyped:
			typedmemmove(op.p, d, s)
		default:
			if st.track {
				st.push(op.seg)
			}
			var err error
			if fp := op.p; fp.direct {
				var w unsafe.Pointer
				w, err = fp.word(st, *(*unsafe.Pointer)(s))
				*(*unsafe.Pointer)(d) = w
			} else {
				err = fp.copy(st, d, s)
			}
			st.pop()
			if err != nil {
				return wrap(err, op.seg)
			}
		}
	}
	return nil
}
