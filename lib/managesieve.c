/* managesieve.c -- a ManageSieve client for one job.  See managesieve.h.
 *
 * The order of operations (RFC 5804):
 *   1. TCP connect (GIO; TCP_NODELAY: each command is one write, its answer waited
 *      for); the greeting: capability lines, then OK -- SASL must list PLAIN;
 *   2. AUTHENTICATE "PLAIN" "<base64 of user NUL admin NUL password>" -> OK;
 *   3. PUTSCRIPT "name" {n+} CRLF <script> CRLF -> OK;
 *   4. SETACTIVE "name" -> OK;
 *   5. LOGOUT (its answer is read but does not matter: the work is done).
 * A BYE or a broken connection stops at once, without LOGOUT.
 *
 * What the server sends (RFC 5804 §4): lines of data (capabilities: "SASL" "PLAIN");
 * then one response, OK / NO / BYE, optionally followed by a response code in
 * parentheses, (NONEXISTENT) or (SASL "..."), and a human-readable string, quoted
 * ("Script does not exist") or a literal ({57} CRLF and 57 octets -- timsieved sends
 * compiler errors that way).  A line of data may end in a literal too, and then
 * goes on after the literal's octets.
 */
#include "managesieve.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>

G_DEFINE_QUARK(m2c-managesieve-error-quark, m2c_managesieve_error)

/* Limits on what the server may send us. */
#define SIEVE_MAX_LINE    (64 * 1024)
#define SIEVE_MAX_LITERAL (1024 * 1024)
#define SIEVE_TIMEOUT_S   60

typedef struct {
	const char *host;
	guint16 port;
	const char *user;
	const char *admin;
	GSocketConnection *connection;
	GDataInputStream *in;
	GOutputStream *out;
} SieveSession;

typedef enum { SIEVE_OK, SIEVE_NO, SIEVE_BYE } SieveStatus;

/* One response: its status, its response code without the parentheses ("" when
 * none) and its human-readable text ("" when none). */
typedef struct {
	SieveStatus status;
	char *code;
	char *text;
} SieveResponse;

static void
sieve_response_clear(SieveResponse *response)
{
	g_clear_pointer(&response->code, g_free);
	g_clear_pointer(&response->text, g_free);
}

static void
set_network_error(SieveSession *s, const char *step, const char *why, GError **error)
{
	g_set_error(error, M2C_MANAGESIEVE_ERROR, M2C_MANAGESIEVE_ERROR_NETWORK,
	            "managesieve server %s port %u failed for user \"%s\" at %s: %s",
	            s->host, s->port, s->user, step, why);
}

static void
set_protocol_error(SieveSession *s, const char *step, const char *why, GError **error)
{
	g_set_error(error, M2C_MANAGESIEVE_ERROR, M2C_MANAGESIEVE_ERROR_PROTOCOL,
	            "managesieve server %s port %u answered user \"%s\" at %s with %s",
	            s->host, s->port, s->user, step, why);
}

/* One CRLF-terminated line, without its CRLF; NULL with NETWORK or PROTOCOL.  Read
 * byte by byte from the buffered stream so that a line that never ends is refused
 * once over SIEVE_MAX_LINE, not buffered whole until the connection closes. */
static char *
read_line(SieveSession *s, const char *step, GError **error)
{
	g_autoptr(GString) line = g_string_new(NULL);

	for (;;) {
		g_autoptr(GError) local = NULL;
		char c;
		gssize n = g_input_stream_read(G_INPUT_STREAM(s->in), &c, 1, NULL, &local);

		if (n <= 0) {
			set_network_error(s, step, local ? local->message : "connection closed", error);
			return NULL;
		}
		if (c == '\n' && line->len > 0 && line->str[line->len - 1] == '\r') {
			g_string_truncate(line, line->len - 1);
			return g_string_free(g_steal_pointer(&line), FALSE);
		}
		if (c == '\0' || line->len >= SIEVE_MAX_LINE + 1) {
			set_protocol_error(s, step, "a line too long or holding NUL", error);
			return NULL;
		}
		g_string_append_c(line, c);
	}
}

/* When `line` ends in a literal's announcement {n} or {n+}, its length; else -1. */
static gssize
literal_length(const char *line)
{
	gsize len = strlen(line);
	const char *open;
	char *end;
	guint64 n;

	if (len < 3 || line[len - 1] != '}' || (open = strrchr(line, '{')) == NULL)
		return -1;
	if (!g_ascii_isdigit(open[1]))
		return -1;
	n = g_ascii_strtoull(open + 1, &end, 10);
	if (*end == '+')
		end++;
	if (end != line + len - 1 || n > SIEVE_MAX_LITERAL)
		return n > SIEVE_MAX_LITERAL ? G_MAXSSIZE : -1;
	return (gssize)n;
}

/* A line with its literals read: each {n} announcement and its n octets become one
 * quoted string, "...", so that the caller parses literals and quoted strings alike.
 * NULL with NETWORK or PROTOCOL. */
static char *
read_logical_line(SieveSession *s, const char *step, GError **error)
{
	g_autoptr(GString) logical = g_string_new(NULL);

	for (;;) {
		g_autofree char *line = read_line(s, step, error);
		g_autoptr(GError) local = NULL;
		gssize n;
		gsize got = 0;

		if (line == NULL)
			return NULL;
		n = literal_length(line);
		if (n < 0) {
			g_string_append(logical, line);
			return g_string_free(g_steal_pointer(&logical), FALSE);
		}
		if (n == G_MAXSSIZE) {
			set_protocol_error(s, step, "a literal over 1 MiB", error);
			return NULL;
		}
		g_string_append_len(logical, line, strrchr(line, '{') - line);
		g_autofree char *octets = g_malloc(n + 1);
		if (!g_input_stream_read_all(G_INPUT_STREAM(s->in), octets, n, &got, NULL, &local) ||
		    got != (gsize)n) {
			set_network_error(s, step, local ? local->message : "connection closed", error);
			return NULL;
		}
		octets[n] = '\0';
		if (strlen(octets) != (gsize)n) {
			set_protocol_error(s, step, "a literal holding NUL", error);
			return NULL;
		}
		/* quoted, so that parse_string() reads it like any string */
		g_string_append_c(logical, '"');
		for (const char *p = octets; *p; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(logical, '\\');
			g_string_append_c(logical, *p);
		}
		g_string_append_c(logical, '"');
	}
}

/* A quoted string at *p (its escapes \" and \\ undone), *p moved past it; NULL when
 * *p holds no complete quoted string. */
static char *
parse_string(const char **p)
{
	g_autoptr(GString) text = g_string_new(NULL);
	const char *q = *p;

	if (*q++ != '"')
		return NULL;
	for (; *q && *q != '"'; q++) {
		if (*q == '\\' && q[1] != '\0')
			q++;
		g_string_append_c(text, *q);
	}
	if (*q != '"')
		return NULL;
	*p = q + 1;
	return g_string_free(g_steal_pointer(&text), FALSE);
}

/* "OK", "NO" or "BYE" as a whole word at the start of `line` (any case). */
static gboolean
parse_status(const char *line, SieveStatus *status_out, const char **rest_out)
{
	static const struct { const char *word; SieveStatus status; } words[] = {
		{ "OK", SIEVE_OK }, { "NO", SIEVE_NO }, { "BYE", SIEVE_BYE },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
		gsize len = strlen(words[i].word);
		if (g_ascii_strncasecmp(line, words[i].word, len) == 0 &&
		    (line[len] == '\0' || line[len] == ' ')) {
			*status_out = words[i].status;
			*rest_out = line + len;
			return TRUE;
		}
	}
	return FALSE;
}

/* Lines up to and including the response.  Lines of data are skipped, except that
 * with `data_out` they are added to it; with `data_out` NULL a line of data is a
 * PROTOCOL error (an AUTHENTICATE challenge, which PLAIN with its initial response
 * never needs).  FALSE with NETWORK or PROTOCOL. */
static gboolean
read_response(SieveSession *s, const char *step, GPtrArray *data_out,
              SieveResponse *response_out, GError **error)
{
	for (;;) {
		g_autofree char *line = read_logical_line(s, step, error);
		const char *p;

		if (line == NULL)
			return FALSE;
		if (!parse_status(line, &response_out->status, &p)) {
			if (data_out == NULL) {
				g_autofree char *why = g_strdup_printf("unexpected \"%.80s\"", line);
				set_protocol_error(s, step, why, error);
				return FALSE;
			}
			g_ptr_array_add(data_out, g_steal_pointer(&line));
			continue;
		}
		if (*p == ' ')
			p++;
		if (*p == '(') {          /* a code: up to the ')' outside quoted strings */
			const char *start = ++p;
			gboolean quoted = FALSE;
			for (; *p && (quoted || *p != ')'); p++) {
				if (*p == '\\' && quoted && p[1])
					p++;
				else if (*p == '"')
					quoted = !quoted;
			}
			if (*p != ')') {
				set_protocol_error(s, step, "an unterminated response code", error);
				return FALSE;
			}
			response_out->code = g_strndup(start, p - start);
			p++;
			if (*p == ' ')
				p++;
		} else {
			response_out->code = g_strdup("");
		}
		if (*p == '\0') {
			response_out->text = g_strdup("");
		} else if ((response_out->text = parse_string(&p)) == NULL || *p != '\0') {
			g_autofree char *why = g_strdup_printf("a response we cannot parse: \"%.80s\"", line);
			sieve_response_clear(response_out);
			set_protocol_error(s, step, why, error);
			return FALSE;
		}
		g_strchomp(response_out->text);
		return TRUE;
	}
}

static gboolean
send_command(SieveSession *s, const char *step, const GString *command, GError **error)
{
	g_autoptr(GError) local = NULL;

	if (!g_output_stream_write_all(s->out, command->str, command->len, NULL, NULL, &local) ||
	    !g_output_stream_flush(s->out, NULL, &local)) {
		set_network_error(s, step, local->message, error);
		return FALSE;
	}
	return TRUE;
}

/* Send `command`, read its answer: TRUE on OK; otherwise FALSE with `refused` (AUTH
 * or NO) for a NO, NETWORK for a BYE, the server's words in the message. */
static gboolean
run_command(SieveSession *s, const char *step, const GString *command, const char *script_name,
            M2cManagesieveError refused, GError **error)
{
	SieveResponse response = { 0 };
	g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *words = NULL;

	if (!send_command(s, step, command, error) ||
	    !read_response(s, step, refused == M2C_MANAGESIEVE_ERROR_AUTH ? NULL : data, &response, error))
		return FALSE;
	if (response.status == SIEVE_OK) {
		sieve_response_clear(&response);
		return TRUE;
	}
	words = g_strdup_printf("%s%s%s%s%s", response.status == SIEVE_NO ? "NO" : "BYE",
	                        *response.code ? " (" : "", response.code, *response.code ? ")" : "",
	                        *response.text ? ": " : "");
	if (response.status == SIEVE_BYE)
		refused = M2C_MANAGESIEVE_ERROR_NETWORK;
	if (script_name != NULL)
		g_set_error(error, M2C_MANAGESIEVE_ERROR, refused,
		            "sieve script \"%s\" of user \"%s\" refused by %s port %u at %s: %s%s",
		            script_name, s->user, s->host, s->port, step, words, response.text);
	else
		g_set_error(error, M2C_MANAGESIEVE_ERROR, refused,
		            "managesieve login of admin \"%s\" for user \"%s\" refused by %s port %u at %s: %s%s",
		            s->admin, s->user, s->host, s->port, step, words, response.text);
	sieve_response_clear(&response);
	return FALSE;
}

/* `text` as a string of RFC 5804: quoted when it can be (no CR, LF or NUL, at most
 * 1024 octets, §4), else a non-synchronising literal. */
static void
append_string(GString *command, const char *text)
{
	gsize len = strlen(text);

	if (len <= 1024 && strpbrk(text, "\r\n") == NULL) {
		g_string_append_c(command, '"');
		for (const char *p = text; *p; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(command, '\\');
			g_string_append_c(command, *p);
		}
		g_string_append_c(command, '"');
	} else {
		g_string_append_printf(command, "{%" G_GSIZE_FORMAT "+}\r\n%s", len, text);
	}
}

/* Step 1.  FALSE with NETWORK or PROTOCOL. */
static gboolean
sieve_connect(SieveSession *s, GError **error)
{
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GSocketConnectable) address = g_network_address_new(s->host, s->port);
	g_autoptr(GPtrArray) capabilities = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) local = NULL;
	SieveResponse greeting = { 0 };
	gboolean has_plain = FALSE;
	int one = 1;

	g_socket_client_set_timeout(client, SIEVE_TIMEOUT_S);
	s->connection = g_socket_client_connect(client, address, NULL, &local);
	if (s->connection == NULL) {
		set_network_error(s, "connect", local->message, error);
		return FALSE;
	}
	/* one write per command and its answer waited for: no Nagle delay */
	(void)setsockopt(g_socket_get_fd(g_socket_connection_get_socket(s->connection)),
	                 IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	s->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(s->connection)));
	g_data_input_stream_set_newline_type(s->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
	s->out = g_io_stream_get_output_stream(G_IO_STREAM(s->connection));

	if (!read_response(s, "greeting", capabilities, &greeting, error))
		return FALSE;
	if (greeting.status != SIEVE_OK) {
		g_autofree char *why = g_strdup_printf("%s \"%s\"", greeting.status == SIEVE_NO ? "NO" : "BYE",
		                                       greeting.text);
		sieve_response_clear(&greeting);
		set_network_error(s, "greeting", why, error);
		return FALSE;
	}
	sieve_response_clear(&greeting);
	/* "SASL" "PLAIN LOGIN": the mechanisms, one string separated by spaces */
	for (guint i = 0; i < capabilities->len; i++) {
		const char *p = capabilities->pdata[i];
		g_autofree char *name = parse_string(&p);
		g_autofree char *value = NULL;

		if (name == NULL || g_ascii_strcasecmp(name, "SASL") != 0 || *p++ != ' ' ||
		    (value = parse_string(&p)) == NULL)
			continue;
		g_auto(GStrv) mechanisms = g_strsplit(value, " ", -1);
		for (char **m = mechanisms; *m; m++)
			has_plain |= g_ascii_strcasecmp(*m, "PLAIN") == 0;
	}
	if (!has_plain) {
		set_protocol_error(s, "greeting", "no SASL PLAIN among its capabilities", error);
		return FALSE;
	}
	return TRUE;
}

gboolean
managesieve_install(const char *host, guint16 port, const char *admin, const char *password,
                    const char *user, const char *name, const char *script, GError **error)
{
	SieveSession s = { .host = host, .port = port, .user = user, .admin = admin };
	g_autoptr(GString) command = g_string_new(NULL);
	g_autoptr(GString) token = g_string_new(NULL);
	g_autofree char *token64 = NULL;
	gboolean done = FALSE;

	g_return_val_if_fail(host && admin && password && user && name && script, FALSE);
	g_return_val_if_fail(*name != '\0' && strpbrk(name, "\r\n") == NULL, FALSE);

	if (!sieve_connect(&s, error))
		goto out;

	/* RFC 4616: authzid NUL authcid NUL password */
	g_string_append(token, user);
	g_string_append_c(token, '\0');
	g_string_append(token, admin);
	g_string_append_c(token, '\0');
	g_string_append(token, password);
	token64 = g_base64_encode((const guchar *)token->str, token->len);
	memset(token->str, 0, token->len);
	g_string_printf(command, "AUTHENTICATE \"PLAIN\" \"%s\"\r\n", token64);
	memset(token64, 0, strlen(token64));
	if (!run_command(&s, "AUTHENTICATE", command, NULL, M2C_MANAGESIEVE_ERROR_AUTH, error))
		goto out;

	/* The script always as a literal, {n+}: timsieved 3.6 refuses a plain {n}. */
	g_string_assign(command, "PUTSCRIPT ");
	append_string(command, name);
	g_string_append_printf(command, " {%" G_GSIZE_FORMAT "+}\r\n", strlen(script));
	g_string_append(command, script);
	g_string_append(command, "\r\n");
	if (!run_command(&s, "PUTSCRIPT", command, name, M2C_MANAGESIEVE_ERROR_NO, error))
		goto out;

	g_string_assign(command, "SETACTIVE ");
	append_string(command, name);
	g_string_append(command, "\r\n");
	if (!run_command(&s, "SETACTIVE", command, name, M2C_MANAGESIEVE_ERROR_NO, error))
		goto out;
	done = TRUE;

	/* Step 5: the work is done whatever LOGOUT gets */
	g_string_assign(command, "LOGOUT\r\n");
	if (send_command(&s, "LOGOUT", command, NULL)) {
		SieveResponse bye = { 0 };
		g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func(g_free);
		if (read_response(&s, "LOGOUT", data, &bye, NULL))
			sieve_response_clear(&bye);
	}
out:
	if (s.connection != NULL)
		(void)g_io_stream_close(G_IO_STREAM(s.connection), NULL, NULL);
	g_clear_object(&s.in);
	g_clear_object(&s.connection);
	return done;
}
