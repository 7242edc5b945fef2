/*
 * inspect_csv.c - formula injection and DDE in text spreadsheets (.csv,
 * .tsv, .tab, .txt, .prn opened by Excel or LibreOffice).
 *
 * DESCRIPTION
 *	The file is cut into cells: records end at CR or LF outside quotes,
 *	cells at a comma, a semicolon (the French list separator) or a tab;
 *	a cell that starts with a double quote is quoted up to the closing
 *	quote ("" is a quote inside). Excel reads a cell as a formula when
 *	it starts with = + - or @, also after blanks and quotes; a formula
 *	is `macro` ("formula injection / DDE") when it:
 *	  - calls another program by DDE: app|topic!item, as in
 *	    =cmd|' /c calc'!A1, =MSEXCEL|'\..\cmd.exe'!'' or
 *	    @SUM(1+1)*cmd|' /c calc'!A0 (a name or quote before the pipe, a
 *	    quote or a "!" after it), or the DDE() function;
 *	  - is a HYPERLINK() to a program (a target ending in .exe, .bat,
 *	    .cmd, .ps1, .hta, .vbs, .js, .scr, .lnk... or a file: or UNC
 *	    path);
 *	  - sends data out or runs code: WEBSERVICE, IMPORTXML, IMPORTDATA,
 *	    IMPORTHTML, IMPORTFEED, IMPORTRANGE, FILTERXML, CALL, REGISTER,
 *	    EXEC.
 *	Numbers (-5.2, +33 1 23 45 67 89) and ordinary formulas
 *	(=SUM(A1:A3)) are not findings. Only the first CELL_MAX_BYTES of a
 *	cell are read; the pass over the file is linear.
 */
#include "inspect_markup_private.h"

#include <string.h>

#define CELL_MAX_BYTES 4096

struct cell_reader {
	const guint8 *p, *end;
	GString *cell;
};

/* Reads the next cell into r->cell; FALSE at the end of the file. */
static gboolean next_cell(struct cell_reader *r)
{
	gboolean quoted = FALSE;

	g_string_truncate(r->cell, 0);
	if (r->p >= r->end)
		return FALSE;
	while (r->p < r->end && *r->p == ' ')
		r->p++;
	if (r->p < r->end && *r->p == '"') {
		quoted = TRUE;
		r->p++;
	}
	for (; r->p < r->end; r->p++) {
		guint8 c = *r->p;

		if (quoted && c == '"') {
			if (r->p + 1 < r->end && r->p[1] == '"')
				r->p++;
			else {
				quoted = FALSE;
				continue;
			}
		} else if (!quoted && (c == ',' || c == ';' || c == '\t' || c == '\r' ||
				       c == '\n')) {
			r->p++;
			return TRUE;
		}
		if (r->cell->len < CELL_MAX_BYTES)
			g_string_append_c(r->cell, (char)c);
	}
	return TRUE;
}

/* The formula a cell holds (after blanks and quotes), or NULL. */
static const char *formula_of(const char *cell)
{
	while (*cell == ' ' || *cell == '\t' || *cell == '"' || *cell == '\'')
		cell++;
	return strchr("=+-@", *cell) != NULL && *cell != '\0' ? cell : NULL;
}

/* app|topic!item: a pipe after a name or a quote, then a quote or a '!'. */
static gboolean calls_dde(const char *upper)
{
	for (const char *pipe = strchr(upper, '|'); pipe != NULL; pipe = strchr(pipe + 1, '|')) {
		const char *after = pipe + 1;

		if (pipe == upper || !(g_ascii_isalnum(pipe[-1]) || pipe[-1] == '\'' ||
				       pipe[-1] == '"' || pipe[-1] == '_'))
			continue;
		while (*after == ' ')
			after++;
		if (*after == '\'' || *after == '"' || strchr(after, '!') != NULL)
			return TRUE;
	}
	return strstr(upper, "DDE(") != NULL || strstr(upper, "DDEAUTO") != NULL;
}

static gboolean target_is_program(const char *target)
{
	static const char *const programs[] = { ".EXE", ".BAT", ".CMD", ".COM", ".PS1", ".HTA",
						".VBS", ".VBE", ".JS", ".JSE", ".WSF", ".SCR",
						".LNK", ".MSI", ".PIF", ".CPL", ".JAR", ".DLL", NULL };
	gsize n = strcspn(target, "\"?#");

	if (g_str_has_prefix(target, "FILE:") || g_str_has_prefix(target, "\\\\"))
		return TRUE;
	for (guint i = 0; programs[i] != NULL; i++) {
		gsize m = strlen(programs[i]);

		if (n >= m && strncmp(target + n - m, programs[i], m) == 0)
			return TRUE;
	}
	return FALSE;
}

static const char *formula_threat(const char *formula)
{
	static const char *const outbound[] = { "WEBSERVICE(", "IMPORTXML(", "IMPORTDATA(",
						"IMPORTHTML(", "IMPORTFEED(", "IMPORTRANGE(",
						"FILTERXML(", "CALL(", "REGISTER(", "EXEC(", NULL };
	g_autofree char *upper = g_ascii_strup(formula, -1);
	const char *link;

	if (calls_dde(upper))
		return "calls another program by DDE";
	for (guint i = 0; outbound[i] != NULL; i++)
		if (strstr(upper, outbound[i]) != NULL)
			return "calls a function that fetches data or runs code";
	link = strstr(upper, "HYPERLINK(");
	if (link != NULL) {
		link += strlen("HYPERLINK(");
		while (*link == ' ' || *link == '"')
			link++;
		if (target_is_program(link))
			return "links to a program (HYPERLINK)";
	}
	return NULL;
}

void al_inspect_csv(struct inspection *in)
{
	struct cell_reader r = {
		.p = in->data,
		.end = in->data + in->len,
		.cell = g_string_new(NULL),
	};
	guint64 cells = 0;

	while (next_cell(&r)) {
		const char *formula = formula_of(r.cell->str);
		const char *why;
		g_autofree char *shown = NULL;

		cells++;
		if (formula == NULL || strlen(formula) < 2 || (why = formula_threat(formula)) == NULL)
			continue;
		shown = g_utf8_make_valid(formula, MIN(strlen(formula), 80));
		al_inspect_found(in, AL_REASON_MACRO,
				 "spreadsheet text whose cell %" G_GUINT64_FORMAT " holds a formula "
				 "that %s (formula injection / DDE): %s",
				 cells, why, shown);
		break;
	}
	g_string_free(r.cell, TRUE);
}
