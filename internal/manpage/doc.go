// Package manpage writes the project's man pages (roff with the man(7)
// macros) from a small plain-text source, with the options taken from what
// the commands themselves print: mssclamp-cmd's --help text (ParseHelp) and
// mssclampd's flag set (Flags). A man page therefore cannot list an option
// --help does not, or describe one differently; the generated pages are
// committed under dist/man and the commands' tests compare them with what
// Render makes now (go test -update rewrites them, as `make man` does).
//
// # Source
//
// The first line is "NAME(SECTION) -- one-line summary": it becomes .TH and
// the NAME section (the "whatis" line). Then, line by line:
//
//	# HEADING          a section (.SH); "## Heading" a subsection (.SS)
//	@options           the option groups given to Render: a subsection per
//	                   group title, a tagged paragraph per option
//	@example PATH      that file, verbatim (PATH relative to the source's
//	                   directory): examples in the page are the shipped files
//	    text           (4 spaces) verbatim lines, e.g. commands
//	- text             a bullet item, continued by the following lines
//	* term             a tagged paragraph: the term, then the following
//	                   lines as its text
//	text               a paragraph; blank lines separate paragraphs
//
// In running text `code` is bold, *word* italic, <placeholder> italic, and
// a reference name(N) to another page is set in bold. Everything else is
// escaped, so the source never holds roff: '-' is a minus (\-) to stay
// copyable, quotes are ASCII, a leading '.' cannot become a request, and
// the few non-ASCII characters used are mapped to roff's named glyphs (any
// other is an error).
package manpage
