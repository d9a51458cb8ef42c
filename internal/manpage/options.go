package manpage

import (
	"fmt"
	"strings"

	flag "github.com/spf13/pflag"
)

// Option is one entry of an options list: its synopsis ("-h, --help",
// "--zone=<zone>") and its description, in which "\n" is a line break.
type Option struct {
	Names string
	Text  string
}

// Group is a titled list of options, as --help groups them.
type Group struct {
	Title   string
	Options []Option
}

// helpDescCol is the column where firewall-cmd's --help starts option
// descriptions (argparse's default layout, which mssclamp-cmd keeps).
const helpDescCol = 23

// ParseHelp reads the option groups of a firewall-cmd style --help text: a
// group is a block whose first line is its title, at column 0, followed by
// option lines indented by two spaces; an option's description starts at
// column 23, on its line or (for a long synopsis) on the next, and goes on
// over the lines indented to that column. Other blocks (the usage line, the
// introduction) are not options and are left out.
func ParseHelp(help string) ([]Group, error) {
	var groups []Group
	for _, block := range strings.Split(strings.Trim(help, "\n"), "\n\n") {
		lines := strings.Split(block, "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "  -") {
			continue
		}
		g := Group{Title: lines[0]}
		for n, l := range lines[1:] {
			switch {
			case strings.HasPrefix(l, "  -"):
				names, text := strings.TrimSpace(l), ""
				if len(l) > helpDescCol && l[helpDescCol-1] == ' ' && l[helpDescCol] != ' ' {
					names, text = strings.TrimSpace(l[:helpDescCol]), l[helpDescCol:]
				}
				g.Options = append(g.Options, Option{Names: names, Text: text})
			case strings.HasPrefix(l, strings.Repeat(" ", helpDescCol)) && len(g.Options) > 0:
				o := &g.Options[len(g.Options)-1]
				o.Text = joinHelpLine(o.Text, strings.TrimSpace(l))
			default:
				return nil, fmt.Errorf("help group %q, line %d: %q is neither an option nor its description", g.Title, n+2, l)
			}
		}
		for _, o := range g.Options {
			if o.Text == "" {
				return nil, fmt.Errorf("help group %q: option %q has no description", g.Title, o.Names)
			}
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("no option groups in the help text")
	}
	return groups, nil
}

// joinHelpLine adds a continuation line to an option's description. The
// lines of one sentence are joined; a line that starts a new sentence
// without a full stop before it ("Set an option permanently" / "Usable for
// options marked with [P]") stays a line of its own ("\n").
func joinHelpLine(text, l string) string {
	if text == "" {
		return l
	}
	if l[0] >= 'A' && l[0] <= 'Z' && !strings.ContainsRune(".,;:(", rune(text[len(text)-1])) {
		return text + "\n" + l
	}
	return text + " " + l
}

// Flags is the options of a pflag flag set, in the order they were defined
// (set SortFlags false) or by name: the value's name is the back-quoted word
// of the usage, as pflag's own usage output shows it, and a default that is
// not empty (nor false) is said after the text.
func Flags(fs *flag.FlagSet) []Option {
	var opts []Option
	fs.VisitAll(func(f *flag.Flag) {
		if f.Hidden {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		names := "--" + f.Name
		if f.Shorthand != "" {
			names = "-" + f.Shorthand + ", " + names
		}
		if name != "" {
			names += "=<" + name + ">"
		}
		if name != "" && f.DefValue != "" {
			usage += " (default: " + f.DefValue + ")"
		}
		opts = append(opts, Option{Names: names, Text: usage})
	})
	return opts
}
