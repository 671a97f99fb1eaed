/* report.html: the run's summary and both plots in one self-contained page
 * (no network: the SVG is inline, the style is a few lines). The summary is
 * the Markdown al_results.c writes, turned into HTML by the small subset of
 * Markdown it uses: headings, paragraphs, lists, tables, **bold** and
 * `code`. */
#include "al.h"

#include <stdlib.h>
#include <string.h>

/* Text with &, < and > escaped, **bold** and `code` as tags. */
static void inline_html(al_text *t, const char *s, size_t n) {
    int bold = 0, code = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '*' && i + 1 < n && s[i + 1] == '*' && !code) {
            al_printf(t, bold ? "</strong>" : "<strong>");
            bold = !bold, i++;
        } else if (ch == '`') {
            al_printf(t, code ? "</code>" : "<code>");
            code = !code;
        } else if (ch == '&') al_printf(t, "&amp;");
        else if (ch == '<') al_printf(t, "&lt;");
        else if (ch == '>') al_printf(t, "&gt;");
        else al_printf(t, "%c", ch);
    }
    if (code) al_printf(t, "</code>");
    if (bold) al_printf(t, "</strong>");
}

/* One table row "| a | b |": cells between the bars. */
static void table_row(al_text *t, const char *line, size_t n, const char *cell) {
    al_printf(t, "<tr>");
    const char *end = line + n, *p = line + 1;
    while (p < end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        if (!bar) break;
        const char *a = p, *b = bar;
        while (a < b && *a == ' ') a++;
        while (b > a && b[-1] == ' ') b--;
        al_printf(t, "<%s>", cell);
        inline_html(t, a, (size_t)(b - a));
        al_printf(t, "</%s>", cell);
        p = bar + 1;
    }
    al_printf(t, "</tr>\n");
}

static void markdown_html(al_text *t, const char *md) {
    enum { NONE, PARA, LIST, TABLE } open = NONE;
    int table_rows = 0;
    static const char *const close[] = {"", "</p>\n", "</ul>\n", "</table>\n"};
    for (const char *line = md; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        int kind = n == 0 ? NONE : line[0] == '|' ? TABLE : (n > 1 && line[0] == '-' && line[1] == ' ') ? LIST
                 : line[0] == '#' ? NONE : PARA;
        if (kind != (int)open || n == 0 || line[0] == '#') {
            al_printf(t, "%s", close[open]);
            open = NONE;
        }
        if (line[0] == '#') {
            int level = 0;
            while (level < (int)n && line[level] == '#') level++;
            al_printf(t, "<h%d>", level);
            inline_html(t, line + level + 1, n > (size_t)level ? n - (size_t)level - 1 : 0);
            al_printf(t, "</h%d>\n", level);
        } else if (kind == TABLE) {
            if (open != TABLE) al_printf(t, "<table>\n"), table_rows = 0;
            open = TABLE;
            if (strspn(line, "|-: ") < n) table_row(t, line, n, table_rows++ ? "td" : "th");
        } else if (kind == LIST) {
            if (open != LIST) al_printf(t, "<ul>\n");
            open = LIST;
            al_printf(t, "<li>");
            inline_html(t, line + 2, n - 2);
            al_printf(t, "</li>\n");
        } else if (kind == PARA) {
            al_printf(t, open == PARA ? "\n" : "<p>");
            open = PARA;
            inline_html(t, line, n);
        }
        line += n + (nl != NULL);
    }
    al_printf(t, "%s", close[open]);
}

void al_report_html(al_text *t, const char *title, const char *summary_md, const char *accuracy_svg,
                    const char *labels_svg) {
    al_printf(t, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    inline_html(t, title, strlen(title));
    al_printf(t, "</title>\n<style>\nbody { font-family: Helvetica, Arial, sans-serif; max-width: 800px; margin: 2em auto; "
              "padding: 0 1em; color: #222; }\ntable { border-collapse: collapse; margin: 1em 0; }\n"
              "th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }\n"
              "th:first-child, td:first-child { text-align: left; }\ncode { font-size: 90%%; }\n"
              "svg { max-width: 100%%; height: auto; }\n</style>\n</head>\n<body>\n");
    /* The plots after the headline: people would rather look than read. */
    const char *rest = strstr(summary_md, "\n## ");
    size_t head = rest ? (size_t)(rest - summary_md) + 1 : strlen(summary_md);
    char *first = malloc(head + 1);
    if (!first) {
        t->failed = 1;
        return;
    }
    memcpy(first, summary_md, head);
    first[head] = '\0';
    markdown_html(t, first);
    free(first);
    al_printf(t, "<figure>\n%s</figure>\n<figure>\n%s</figure>\n", accuracy_svg, labels_svg);
    if (rest) markdown_html(t, rest + 1);
    al_printf(t, "</body>\n</html>\n");
}
