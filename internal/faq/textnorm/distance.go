package textnorm

// Distance is a Damerau–Levenshtein distance counted in half-edits: a
// typical edit (insertion, deletion, substitution, swap of neighbours)
// costs 2, and the slips Russians make most — an unstressed о for а, е for
// и, ы for и, a voiced consonant for a voiceless one, a dropped soft sign —
// cost 1. It gives up once the distance exceeds max and then returns
// max+1, which keeps vocabulary scans cheap.
func Distance(a, b []rune, max int) int {
	la, lb := len(a), len(b)
	if d := la - lb; 2*d > max || -2*d > max {
		return max + 1
	}
	if la == 0 || lb == 0 {
		return editCost(a, b)
	}

	// Three rows suffice for the swap rule; short words keep them on the
	// stack.
	var buf [3][48]int
	var prev2, prev, cur []int
	if lb < len(buf[0]) {
		prev2, prev, cur = buf[0][:lb+1], buf[1][:lb+1], buf[2][:lb+1]
	} else {
		prev2, prev, cur = make([]int, lb+1), make([]int, lb+1), make([]int, lb+1)
	}
	for j := 1; j <= lb; j++ {
		prev[j] = prev[j-1] + indelCost(b[j-1])
	}
	for i := 1; i <= la; i++ {
		cur[0] = prev[0] + indelCost(a[i-1])
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			c := prev[j-1] + subCost(a[i-1], b[j-1])
			if d := prev[j] + indelCost(a[i-1]); d < c {
				c = d
			}
			if d := cur[j-1] + indelCost(b[j-1]); d < c {
				c = d
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] && a[i-1] != b[j-1] {
				if d := prev2[j-2] + 2; d < c {
					c = d
				}
			}
			cur[j] = c
			if c < rowMin {
				rowMin = c
			}
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if prev[lb] > max {
		return max + 1
	}
	return prev[lb]
}

func editCost(a, b []rune) int {
	n := 0
	for _, r := range a {
		n += indelCost(r)
	}
	for _, r := range b {
		n += indelCost(r)
	}
	return n
}

func indelCost(r rune) int {
	if r == 'ь' || r == 'ъ' {
		return 1
	}
	return 2
}

func subCost(a, b rune) int {
	if a == b {
		return 0
	}
	ia, ib := a-'а', b-'а'
	if ia >= 0 && ia < 32 && ib >= 0 && ib < 32 && confusable[ia][ib] {
		return 1
	}
	return 2
}

// confusable[a][b] holds for letters of the Russian alphabet, а to я
// without ё (which Fold removes), that are often written for each other.
var confusable = func() (m [32][32]bool) {
	pairs := []string{"оа", "еи", "иы", "еэ", "ея", "ий", "шщ", "жш", "зс", "дт", "бп", "вф", "гк", "ьъ", "цс", "ую"}
	for _, p := range pairs {
		r := []rune(p)
		a, b := r[0]-'а', r[1]-'а'
		m[a][b], m[b][a] = true, true
	}
	return m
}()
