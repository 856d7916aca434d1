package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Problem is one thing wrong in a scenario file.
type Problem struct {
	File    string
	Line    int
	Path    string // such as steps[5].ask.options[1].id
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one or more scenario files, in file
// and line order. It is the error Parse and LoadFS return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// maxCallbackData is Telegram's limit on a button's callback data.
const maxCallbackData = 64

// maxRunIDDigits is the widest run id: the digits of the largest int64.
const maxRunIDDigits = 19

var (
	idRE          = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	scenarioIDRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	nameRE        = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	timeRE        = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
)

// maxStepID keeps callback data short: s:<run id>:<step id>:<option>.
const maxStepID = 20

// Placeholders lists the names a text may use as {{name}}.
var Placeholders = []string{
	"first_name", "full_name", "position", "department", "office", "hire_date",
	"manager_name", "mentor_name", "company", "probation_end",
}

func knownPlaceholder(name string) bool {
	for _, p := range Placeholders {
		if p == name {
			return true
		}
	}
	return false
}

// knownField reports whether a branch may test the employee field.
func knownField(name string) bool {
	switch name {
	case "department", "position", "office", "manager_name", "mentor_name":
		return true
	}
	custom, ok := strings.CutPrefix(name, "custom.")
	return ok && custom != ""
}

// Parse reads one scenario from YAML (or JSON) and checks it. The error,
// when not nil, is Problems listing everything wrong with file name, line
// and field path.
func Parse(fileName string, data []byte) (*Scenario, error) {
	p := &fileParser{file: fileName}
	sc := p.parse(data)
	if len(p.probs) > 0 {
		sort.SliceStable(p.probs, func(i, j int) bool { return p.probs[i].Line < p.probs[j].Line })
		return nil, p.probs
	}
	return sc, nil
}

// LoadFS parses every *.yaml, *.yml and *.json file at the top of fsys
// (except schema.json) and checks that scenario ids are unique. Problems of
// all files are reported together.
func LoadFS(fsys fs.FS) ([]*Scenario, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read scenarios: %w", err)
	}
	var (
		out   []*Scenario
		probs Problems
		seen  = map[string]string{}
	)
	for _, e := range entries {
		name := e.Name()
		ext := path.Ext(name)
		if e.IsDir() || name == "schema.json" || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		sc, err := Parse(name, data)
		var ps Problems
		if errors.As(err, &ps) {
			probs = append(probs, ps...)
			continue
		}
		if err != nil {
			return nil, err
		}
		if other, ok := seen[sc.ID]; ok {
			probs = append(probs, Problem{File: name, Line: 1, Path: "id",
				Message: fmt.Sprintf("scenario id %q is also used by %s", sc.ID, other)})
			continue
		}
		seen[sc.ID] = name
		out = append(out, sc)
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return out, nil
}

type fileParser struct {
	file  string
	probs Problems
}

func (p *fileParser) problem(line int, path, format string, args ...any) {
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

func nodeLine(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

// strip removes anchors and tags, which carry no meaning here.
func strip(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

// object is a mapping being read: it remembers which keys were used, so
// that unknown ones can be reported.
type object struct {
	p      *fileParser
	path   string
	line   int
	keys   []string
	lines  map[string]int
	values map[string]ast.Node
	used   map[string]bool
}

// object reads n as a mapping; line is where to report problems with the
// mapping as a whole when it has no keys of its own.
func (p *fileParser) object(n ast.Node, path string, line int) *object {
	n = strip(n)
	var pairs []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		pairs = v.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{v}
	default:
		p.problem(max(nodeLine(n), line), path, "must be a mapping, not %s", kindOf(n))
		return nil
	}
	o := &object{p: p, path: path, line: line, lines: map[string]int{}, values: map[string]ast.Node{}, used: map[string]bool{}}
	for i, kv := range pairs {
		key := keyString(kv.Key)
		kl := nodeLine(kv.Key)
		if i == 0 && kl > 0 {
			o.line = kl
		}
		if _, dup := o.values[key]; dup {
			p.problem(kl, o.sub(key), "duplicate key")
			continue
		}
		o.keys = append(o.keys, key)
		o.lines[key] = kl
		v := kv.Value
		if v == nil {
			v = &ast.NullNode{}
		}
		o.values[key] = v
	}
	return o
}

func keyString(k ast.MapKeyNode) string {
	if s, ok := strip(k).(*ast.StringNode); ok {
		return s.Value
	}
	return k.String()
}

func kindOf(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.NullNode, nil:
		return "empty"
	case *ast.AliasNode:
		return "an alias"
	}
	return "a scalar"
}

func (o *object) sub(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

func (o *object) has(key string) bool {
	_, ok := o.values[key]
	return ok
}

// get returns the value of key and marks it used; nil when absent.
func (o *object) get(key string) ast.Node {
	n, ok := o.values[key]
	if !ok {
		return nil
	}
	o.used[key] = true
	return strip(n)
}

// keyLine returns the line of the key, or of the mapping when absent.
func (o *object) keyLine(key string) int {
	if l, ok := o.lines[key]; ok && l > 0 {
		return l
	}
	return o.line
}

// done reports every key that nobody asked for.
func (o *object) done() {
	for _, k := range o.keys {
		if !o.used[k] {
			o.p.problem(o.lines[k], o.sub(k), "unknown key")
		}
	}
}

// scalar returns the text of a scalar value.
func scalar(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return v.GetToken().Value, true
	}
	return "", false
}

func (o *object) str(key string, required bool) (string, bool) {
	n := o.get(key)
	if n == nil {
		if required {
			o.p.problem(o.line, o.sub(key), "required")
		}
		return "", false
	}
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode:
	default:
		o.p.problem(o.keyLine(key), o.sub(key), "must be a string, not %s", kindOf(n))
		return "", false
	}
	s, _ := scalar(n)
	if required && strings.TrimSpace(s) == "" {
		o.p.problem(o.keyLine(key), o.sub(key), "must not be empty")
		return "", false
	}
	return s, true
}

// value returns a scalar of any type as text, for comparisons.
func (o *object) value(key string) (string, bool) {
	n := o.get(key)
	if n == nil {
		return "", false
	}
	s, ok := scalar(n)
	if !ok {
		o.p.problem(o.keyLine(key), o.sub(key), "must be a scalar, not %s", kindOf(n))
	}
	return s, ok
}

func (o *object) integer(key string, required bool) (int, bool) {
	n := o.get(key)
	if n == nil {
		if required {
			o.p.problem(o.line, o.sub(key), "required")
		}
		return 0, false
	}
	v, ok := n.(*ast.IntegerNode)
	if !ok {
		o.p.problem(o.keyLine(key), o.sub(key), "must be an integer")
		return 0, false
	}
	i, err := strconv.Atoi(strings.ReplaceAll(v.GetToken().Value, "_", ""))
	if err != nil {
		o.p.problem(o.keyLine(key), o.sub(key), "must be an integer")
		return 0, false
	}
	return i, true
}

func (o *object) number(key string) (*float64, bool) {
	n := o.get(key)
	if n == nil {
		return nil, true
	}
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		f, err := strconv.ParseFloat(n.GetToken().Value, 64)
		if err == nil {
			return &f, true
		}
	}
	o.p.problem(o.keyLine(key), o.sub(key), "must be a number")
	return nil, false
}

func (o *object) boolean(key string) (bool, bool) {
	n := o.get(key)
	if n == nil {
		return false, true
	}
	b, ok := n.(*ast.BoolNode)
	if !ok {
		o.p.problem(o.keyLine(key), o.sub(key), "must be true or false")
		return false, false
	}
	return b.Value, true
}

func (o *object) duration(key string) time.Duration {
	n := o.get(key)
	if n == nil {
		return 0
	}
	s, _ := scalar(n)
	d, err := ParseDuration(s)
	if err != nil {
		o.p.problem(o.keyLine(key), o.sub(key), "%v", err)
		return 0
	}
	return d
}

// list returns the items of a sequence value.
func (o *object) list(key string) []ast.Node {
	n := o.get(key)
	if n == nil {
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		o.p.problem(o.keyLine(key), o.sub(key), "must be a list, not %s", kindOf(n))
		return nil
	}
	return seq.Values
}

// text reads a message: a string, or a mapping of languages to strings.
func (o *object) text(key string, required bool) Text {
	n := o.get(key)
	if n == nil {
		if required {
			o.p.problem(o.line, o.sub(key), "required")
		}
		return nil
	}
	path := o.sub(key)
	line := o.keyLine(key)
	switch n.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		s, _ := scalar(n)
		if strings.TrimSpace(s) == "" {
			o.p.problem(line, path, "must not be empty")
			return nil
		}
		o.p.checkPlaceholders(line, path, s)
		return Text{"": s}
	case *ast.MappingNode, *ast.MappingValueNode:
		m := o.p.object(n, path, line)
		if m == nil {
			return nil
		}
		t := Text{}
		for _, lang := range []string{"ru", "en"} {
			if s, ok := m.str(lang, false); ok {
				if strings.TrimSpace(s) == "" {
					o.p.problem(m.keyLine(lang), m.sub(lang), "must not be empty")
					continue
				}
				o.p.checkPlaceholders(m.keyLine(lang), m.sub(lang), s)
				t[lang] = s
			}
		}
		if _, ok := t["ru"]; !ok && !m.has("ru") {
			o.p.problem(line, path+".ru", "required: Russian is the first language")
		}
		m.done()
		return t
	}
	o.p.problem(line, path, "must be a string or a mapping of ru and en texts, not %s", kindOf(n))
	return nil
}

func (p *fileParser) checkPlaceholders(line int, path, s string) {
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !knownPlaceholder(m[1]) {
			p.problem(line, path, "unknown placeholder {{%s}}; known: %s", m[1], strings.Join(Placeholders, ", "))
		}
	}
	rest := placeholderRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		p.problem(line, path, "unbalanced {{ or }}")
	}
}

// ParseDuration reads a duration such as 48h, 30m, 2d or 1d12h. A day is
// 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q: use forms like 48h, 30m, 2d, 1d12h", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
	}
	var rest time.Duration
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: use forms like 48h, 30m, 2d, 1d12h", s)
		}
		rest = d
	}
	d := days + rest
	if d <= 0 {
		return 0, fmt.Errorf("duration must be positive")
	}
	return d, nil
}

func (p *fileParser) parse(data []byte) *Scenario {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		line := 0
		msg := err.Error()
		if errors.As(err, &ye) {
			msg = ye.GetMessage()
			if tok := ye.GetToken(); tok != nil {
				line = tok.Position.Line
			}
		}
		p.problem(line, "", "syntax: %s", msg)
		return nil
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		p.problem(1, "", "the file must hold exactly one scenario")
		return nil
	}
	root := p.object(f.Docs[0].Body, "", 1)
	if root == nil {
		return nil
	}

	sc := &Scenario{File: p.file, index: map[string]int{}}
	if id, ok := root.str("id", true); ok && !scenarioIDRE.MatchString(id) {
		p.problem(root.keyLine("id"), "id", "use 1-40 lower-case latin letters, digits, _ and -, starting with a letter or digit")
	} else {
		sc.ID = id
	}
	if v, ok := root.integer("version", true); ok {
		if v < 1 {
			p.problem(root.keyLine("version"), "version", "must be 1 or more")
		}
		sc.Version = v
	}
	sc.Title = root.text("title", true)
	sc.Description = root.text("description", false)
	if tr, ok := root.str("trigger", true); ok {
		if tr != TriggerRegistration && tr != TriggerManual {
			p.problem(root.keyLine("trigger"), "trigger", "must be %q or %q, not %q", TriggerRegistration, TriggerManual, tr)
		}
		sc.Trigger = tr
	}

	if root.has("start_within_days") {
		if v, ok := root.integer("start_within_days", false); ok {
			if v < 1 {
				p.problem(root.keyLine("start_within_days"), "start_within_days", "must be 1 or more")
			}
			sc.StartWithinDays = v
		}
	}

	items := root.list("steps")
	if !root.has("steps") {
		p.problem(root.line, "steps", "required")
	} else if len(items) == 0 && len(p.probs) == 0 {
		p.problem(root.keyLine("steps"), "steps", "must have at least one step")
	}
	root.done()

	idLines := map[string]int{}
	for i, item := range items {
		path := fmt.Sprintf("steps[%d]", i)
		st := p.step(item, path)
		if st == nil {
			st = &Step{Line: nodeLine(item)}
		}
		sc.Steps = append(sc.Steps, st)
		if st.ID == "" {
			continue
		}
		if first, dup := idLines[st.ID]; dup {
			p.problem(st.Line, path+".id", "duplicate step id %q (first at line %d)", st.ID, first)
			continue
		}
		idLines[st.ID] = st.Line
		sc.index[st.ID] = i
	}
	p.checkLinks(sc)
	return sc
}

func (p *fileParser) step(n ast.Node, path string) *Step {
	o := p.object(n, path, nodeLine(n))
	if o == nil {
		return nil
	}
	st := &Step{Line: o.line}
	if id, ok := o.str("id", true); ok {
		switch {
		case !idRE.MatchString(id):
			p.problem(o.keyLine("id"), path+".id", "use latin letters, digits, _ and - only")
		case len(id) > maxStepID:
			p.problem(o.keyLine("id"), path+".id", "%q is longer than %d characters", id, maxStepID)
		default:
			st.ID = id
			st.Line = o.keyLine("id")
		}
	}

	var actions []string
	for _, a := range []string{"send", "ask", "branch", "wait", "notify", "mark", "goto", "end"} {
		if o.has(a) {
			actions = append(actions, a)
		}
	}
	switch len(actions) {
	case 0:
		p.problem(o.line, path, "needs one action: send, ask, branch, wait, notify, mark, goto or end")
	case 1:
	default:
		p.problem(o.keyLine(actions[1]), path, "has %d actions (%s); a step does exactly one thing", len(actions), strings.Join(actions, ", "))
	}

	if o.has("at") {
		st.At = p.until(o.get("at"), path+".at", o.keyLine("at"))
		if o.has("wait") {
			p.problem(o.keyLine("at"), path+".at", "a wait step takes no at:; use wait: {until: …}")
		}
	}
	if o.has("else") && !o.has("branch") {
		o.get("else")
		p.problem(o.keyLine("else"), path+".else", "else belongs to a branch step")
	}

	if n := o.get("send"); n != nil {
		st.Send = p.send(n, path+".send", o.keyLine("send"), st.ID)
	}
	if n := o.get("ask"); n != nil {
		st.Ask = p.ask(n, path+".ask", o.keyLine("ask"), st.ID)
	}
	if o.has("branch") {
		st.Branch = p.branch(o, path)
	}
	if n := o.get("wait"); n != nil {
		st.Wait = p.wait(n, path+".wait", o.keyLine("wait"))
	}
	if n := o.get("notify"); n != nil {
		st.Notify = p.notify(n, path+".notify", o.keyLine("notify"))
	}
	if n := o.get("mark"); n != nil {
		st.Mark = p.mark(n, path+".mark", o.keyLine("mark"))
	}
	if o.has("goto") {
		st.Goto, _ = o.str("goto", true)
		st.gotoLine = o.keyLine("goto")
	}
	if o.has("end") {
		if v, ok := o.boolean("end"); ok && !v {
			p.problem(o.keyLine("end"), path+".end", "must be true")
		}
		st.End = true
	}
	o.done()
	return st
}

func (p *fileParser) checkCallback(line int, path, stepID, option string) {
	data := callbackData(strings.Repeat("9", maxRunIDDigits), stepID, option)
	if len(data) > maxCallbackData {
		p.problem(line, path, "button data %q would be %d bytes, over the %d-byte limit; shorten the step or option id",
			data, len(data), maxCallbackData)
	}
}

func (p *fileParser) buttons(o *object, key string, stepID string, allowNext bool) []Button {
	var out []Button
	for i, item := range o.list(key) {
		path := fmt.Sprintf("%s[%d]", o.sub(key), i)
		b := p.object(item, path, nodeLine(item))
		if b == nil {
			continue
		}
		btn := Button{Label: b.text("label", true)}
		url, hasURL := b.str("url", false)
		next, _ := b.boolean("next")
		switch {
		case hasURL && next:
			p.problem(b.line, path, "a button has either url or next, not both")
		case hasURL:
			if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
				p.problem(b.keyLine("url"), path+".url", "must be an http or https URL")
			}
			btn.URL = url
		case next && allowNext:
			btn.Next = true
			p.checkCallback(b.keyLine("next"), path+".next", stepID, nextOption)
		case next:
			p.problem(b.keyLine("next"), path+".next", "only a send step may have next buttons")
		default:
			if allowNext {
				p.problem(b.line, path, "needs url or next: true")
			} else {
				p.problem(b.line, path, "needs url")
			}
		}
		b.done()
		out = append(out, btn)
	}
	return out
}

func (p *fileParser) send(n ast.Node, path string, line int, stepID string) *Send {
	o := p.object(n, path, line)
	if o == nil {
		return nil
	}
	s := &Send{Text: o.text("text", true), Buttons: p.buttons(o, "buttons", stepID, true)}
	if fn := o.get("file"); fn != nil {
		f := p.object(fn, path+".file", o.keyLine("file"))
		if f != nil {
			s.File = &File{}
			s.File.URL, _ = f.str("url", true)
			s.File.Name, _ = f.str("name", true)
			f.done()
		}
	}
	o.done()
	return s
}

func (p *fileParser) ask(n ast.Node, path string, line int, stepID string) *Ask {
	o := p.object(n, path, line)
	if o == nil {
		return nil
	}
	a := &Ask{Text: o.text("text", true)}
	hasOptions, hasInput := o.has("options"), o.has("input")
	switch {
	case hasOptions && hasInput:
		p.problem(o.keyLine("input"), path, "has both options and input; pick one")
	case !hasOptions && !hasInput:
		p.problem(o.line, path, "needs options or input")
	}

	seen := map[string]bool{}
	for i, item := range o.list("options") {
		opath := fmt.Sprintf("%s.options[%d]", path, i)
		ob := p.object(item, opath, nodeLine(item))
		if ob == nil {
			continue
		}
		opt := Option{Label: ob.text("label", true)}
		if id, ok := ob.str("id", true); ok {
			switch {
			case !idRE.MatchString(id) || strings.HasPrefix(id, "_"):
				p.problem(ob.keyLine("id"), opath+".id", "use latin letters, digits, _ and -, not starting with _")
			case seen[id]:
				p.problem(ob.keyLine("id"), opath+".id", "duplicate option id %q", id)
			default:
				seen[id] = true
				opt.ID = id
				p.checkCallback(ob.keyLine("id"), opath+".id", stepID, id)
			}
		}
		ob.done()
		a.Options = append(a.Options, opt)
	}
	if hasOptions && len(a.Options) == 0 {
		p.problem(o.keyLine("options"), path+".options", "must have at least one option")
	}

	if in, ok := o.str("input", hasInput); ok {
		switch in {
		case InputText, InputNumber, InputDate, InputEmail, InputPhone, InputYesNo:
			a.Input = in
		default:
			p.problem(o.keyLine("input"), path+".input", "must be one of text, number, date, email, phone, yes_no; not %q", in)
		}
	}
	if pat, ok := o.str("pattern", false); ok {
		re, err := regexp.Compile(pat)
		switch {
		case err != nil:
			p.problem(o.keyLine("pattern"), path+".pattern", "bad regular expression: %v", err)
		case a.Input != InputText && a.Input != "":
			p.problem(o.keyLine("pattern"), path+".pattern", "only a text input takes a pattern")
		default:
			a.Pattern, a.pattern = pat, re
		}
	}
	a.Min, _ = o.number("min")
	a.Max, _ = o.number("max")
	if (a.Min != nil || a.Max != nil) && a.Input != InputText && a.Input != InputNumber && a.Input != "" {
		p.problem(o.keyLine("min"), path, "min and max apply to text (length) and number inputs only")
	}
	if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
		p.problem(o.keyLine("max"), path+".max", "is less than min")
	}
	a.Retry = o.text("retry", false)
	a.Skip = o.text("skip", false)
	if len(a.Skip) > 0 {
		p.checkCallback(o.keyLine("skip"), path+".skip", stepID, skipOption)
	}
	if a.Input == InputYesNo {
		p.checkCallback(o.keyLine("input"), path+".input", stepID, "yes")
	}
	if sa, ok := o.str("save_as", false); ok {
		if !nameRE.MatchString(sa) {
			p.problem(o.keyLine("save_as"), path+".save_as", "use lower-case latin letters, digits and _, starting with a letter")
		}
		a.SaveAs = sa
	}
	a.RemindAfter = o.duration("remind_after")
	a.ExpireAfter = o.duration("expire_after")
	if a.RemindAfter > 0 && a.ExpireAfter > 0 && a.RemindAfter >= a.ExpireAfter {
		p.problem(o.keyLine("remind_after"), path+".remind_after", "must be shorter than expire_after")
	}
	o.done()
	return a
}

func (p *fileParser) branch(step *object, path string) *Branch {
	b := &Branch{}
	items := step.list("branch")
	if len(items) == 0 && step.has("branch") {
		p.problem(step.keyLine("branch"), path+".branch", "must list at least one case")
	}
	for i, item := range items {
		cpath := fmt.Sprintf("%s.branch[%d]", path, i)
		co := p.object(item, cpath, nodeLine(item))
		if co == nil {
			continue
		}
		c := Case{}
		c.Goto, _ = co.str("goto", true)
		c.line = co.keyLine("goto")
		wn := co.get("when")
		if wn == nil {
			p.problem(co.line, cpath+".when", "required")
		} else if w := p.object(wn, cpath+".when", co.keyLine("when")); w != nil {
			p.when(w, &c)
			c.whenLine = w.line
		}
		co.done()
		b.Cases = append(b.Cases, c)
	}
	if step.has("else") {
		b.Else, _ = step.str("else", true)
		b.elseLine = step.keyLine("else")
	}
	return b
}

func (p *fileParser) when(w *object, c *Case) {
	hasVar, hasField := w.has("var"), w.has("field")
	switch {
	case hasVar && hasField:
		p.problem(w.line, w.path, "has both var and field; pick one")
	case !hasVar && !hasField:
		p.problem(w.line, w.path, "needs var or field")
	}
	if v, ok := w.str("var", false); ok {
		c.Var = v
	}
	if f, ok := w.str("field", false); ok {
		if !knownField(f) {
			p.problem(w.keyLine("field"), w.sub("field"), "unknown field %q; use department, position, office, manager_name, mentor_name or custom.NAME", f)
		}
		c.Field = f
	}

	n := 0
	for _, k := range []string{"equals", "in", "not_equals"} {
		if w.has(k) {
			n++
		}
	}
	if n != 1 {
		p.problem(w.line, w.path, "needs exactly one of equals, in, not_equals")
	}
	if v, ok := w.value("equals"); ok {
		c.Equals = &v
	}
	if v, ok := w.value("not_equals"); ok {
		c.NotEquals = &v
	}
	for i, item := range w.list("in") {
		s, ok := scalar(strip(item))
		if !ok {
			p.problem(nodeLine(item), fmt.Sprintf("%s[%d]", w.sub("in"), i), "must be a scalar")
			continue
		}
		c.In = append(c.In, s)
	}
	if w.has("in") && len(c.In) == 0 {
		p.problem(w.keyLine("in"), w.sub("in"), "must list at least one value")
	}
	w.done()
}

func (p *fileParser) wait(n ast.Node, path string, line int) *Wait {
	o := p.object(n, path, line)
	if o == nil {
		return nil
	}
	w := &Wait{}
	hasFor, hasUntil := o.has("for"), o.has("until")
	switch {
	case hasFor && hasUntil:
		p.problem(o.line, path, "has both for and until; pick one")
	case !hasFor && !hasUntil:
		p.problem(o.line, path, "needs for or until")
	}
	w.For = o.duration("for")
	if un := o.get("until"); un != nil {
		w.Until = p.until(un, path+".until", o.keyLine("until"))
	}
	o.done()
	return w
}

func (p *fileParser) until(n ast.Node, path string, line int) *Until {
	o := p.object(n, path, line)
	if o == nil {
		return nil
	}
	u := &Until{Hour: 9}
	if d, ok := o.integer("day", true); ok {
		switch {
		case d == 0:
			p.problem(o.keyLine("day"), path+".day", "there is no day 0: day 1 is the hire date, day -1 the day before")
		case d < -365 || d > 3650:
			p.problem(o.keyLine("day"), path+".day", "must be between -365 and 3650")
		}
		u.Day = d
	}
	if s, ok := o.value("time"); ok {
		m := timeRE.FindStringSubmatch(s)
		if m == nil {
			p.problem(o.keyLine("time"), path+".time", "bad time %q: use HH:MM, 24-hour", s)
		} else {
			u.Hour, _ = strconv.Atoi(m[1])
			u.Minute, _ = strconv.Atoi(m[2])
		}
	}
	u.Workday, _ = o.boolean("workday")
	o.done()
	return u
}

func (p *fileParser) notify(n ast.Node, path string, line int) *Notify {
	o := p.object(n, path, line)
	if o == nil {
		return nil
	}
	nt := &Notify{}
	if to, ok := o.str("to", true); ok {
		switch to {
		case RoleManager, RoleMentor, RoleHR:
			nt.To = to
		default:
			p.problem(o.keyLine("to"), path+".to", "must be manager, mentor or hr; not %q", to)
		}
	}
	nt.Text = o.text("text", true)
	nt.Buttons = p.buttons(o, "buttons", "", false)
	nt.Task = o.text("task", false)
	o.done()
	return nt
}

func (p *fileParser) mark(n ast.Node, path string, line int) *Mark {
	o := p.object(n, path, line)
	if o == nil {
		return nil
	}
	m := &Mark{}
	if name, ok := o.str("name", true); ok {
		if !nameRE.MatchString(name) {
			p.problem(o.keyLine("name"), path+".name", "use lower-case latin letters, digits and _, starting with a letter")
		}
		m.Name = name
	}
	m.Value, _ = o.value("value")
	o.done()
	return m
}

// checkLinks reports goto, branch and else targets that do not exist and
// branch variables no question sets.
func (p *fileParser) checkLinks(sc *Scenario) {
	vars := map[string]*Ask{}
	for _, st := range sc.Steps {
		if st.Ask != nil && st.ID != "" {
			vars[st.Ask.VarName(st.ID)] = st.Ask
		}
	}
	target := func(line int, path, id string) {
		if id != "" && sc.Step(id) == nil {
			p.problem(line, path, "no step with id %q", id)
		}
	}
	for i, st := range sc.Steps {
		path := fmt.Sprintf("steps[%d]", i)
		target(st.gotoLine, path+".goto", st.Goto)
		if st.Branch == nil {
			continue
		}
		target(st.Branch.elseLine, path+".else", st.Branch.Else)
		for j, c := range st.Branch.Cases {
			cpath := fmt.Sprintf("%s.branch[%d]", path, j)
			target(c.line, cpath+".goto", c.Goto)
			if c.Var == "" {
				continue
			}
			ask, ok := vars[c.Var]
			if !ok {
				p.problem(c.whenLine, cpath+".when.var", "no ask step saves %q", c.Var)
				continue
			}
			p.checkValues(c.whenLine, cpath+".when", ask, c)
		}
	}
}

// checkValues reports compared values that a question with buttons can
// never give.
func (p *fileParser) checkValues(line int, path string, ask *Ask, c Case) {
	valid := map[string]bool{}
	for _, o := range ask.choices() {
		valid[o.ID] = true
	}
	if len(ask.Options) == 0 && ask.Input != InputYesNo {
		return
	}
	values := c.In
	if c.Equals != nil {
		values = append(values, *c.Equals)
	}
	if c.NotEquals != nil {
		values = append(values, *c.NotEquals)
	}
	for _, v := range values {
		if !valid[v] {
			p.problem(line, path, "the question never answers %q", v)
		}
	}
}
