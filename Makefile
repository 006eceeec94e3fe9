# mbox2cyrus -- GNU make.
#
#   make            build ./mbox2cyrus
#   make deps       check build and test dependencies; install them with apt-get when root
#   make check      deps + build + every TAP test under prove (starts and stops its own Cyrus)
#   make demo       deps + build + run the pipeline on samples/ against a throwaway Cyrus
#   make bench      run the benchmarks (bench/), results in bench/results.json;
#                   BENCH_SCALE=small (default, minutes) or full, BENCH_USERS=N
#   make bench-site a site of 20,000 small users end to end (bench/site_bench.py)
#   make install    PREFIX=/usr/local DESTDIR=  (binary and man pages)
#   make SANITIZE=1 ...   build with AddressSanitizer + UndefinedBehaviorSanitizer
#
# Objects live in build/ (build-san/ with SANITIZE=1), so the two never mix.

VERSION := 0.1.0
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror
PKGS    := glib-2.0 gio-2.0

# Recursive (=) on purpose: pkg-config is asked when a recipe runs, which is after
# `make deps` has installed GLib on a fresh machine.
GLIB_CFLAGS = $(shell pkg-config --cflags $(PKGS))
GLIB_LIBS   = $(shell pkg-config --libs $(PKGS))
# Plain -letpan: libetpan.pc's --libs leak Debian's no-pie-link.specs (DESIGN.md).
# -lgnutls: the server's certificate is checked by us (lib/tls-verify.c).
LIBS        = -letpan -lgnutls -larchive -lz -lcrypto $(GLIB_LIBS)

ifeq ($(SANITIZE),1)
O        := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O        := build
SANFLAGS :=
endif

ALL_CFLAGS = $(CFLAGS) $(WARN) $(SANFLAGS) -std=gnu11 -D_GNU_SOURCE \
             -DM2C_VERSION='"$(VERSION)"' -Ilib -Imapnames -Iconvert -Ibackout -I. $(GLIB_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

# The pipeline, one file per subcommand (see main.c for the table).
CMD_SRC := mapnames/cmd-mapnames.c mapnames/cmd-scan.c mapnames/cmd-forwards.c \
           convert/cmd-convert.c convert/cmd-upload.c \
           backout/cmd-backout.c backout/cmd-verify.c
# the shared library code, and each stage's helpers (everything but its cmd-*.c).
# Not $(filter-out %/cmd-%.c,...): make takes only the first % as the pattern, so
# that matched nothing and every cmd-*.o went into libm2c.a.
LIB_SRC := $(wildcard lib/*.c) \
           $(filter-out $(CMD_SRC),$(wildcard mapnames/*.c convert/*.c backout/*.c))
LIB_HDR := $(wildcard lib/*.h mapnames/*.h convert/*.h backout/*.h)

CMD_OBJ := $(CMD_SRC:%.c=$(O)/%.o) $(O)/main.o
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)
LIBM2C  := $(O)/libm2c.a

UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/unit/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(O)/tests/helpers/%)
MAN_PAGES  := $(wildcard doc/*.1)

PROVE       ?= prove
PROVE_FLAGS ?= --timer

.PHONY: all deps check check-build hdr-check demo bench bench-site install clean fuzz check-valgrind
.DELETE_ON_ERROR:

all: mbox2cyrus

# Linked in $(O)/ and copied up, so that switching SANITIZE=1 on and off always
# leaves ./mbox2cyrus built the way the last make asked for.
mbox2cyrus: $(O)/mbox2cyrus FORCE
	@cmp -s $< $@ || cp $< $@

$(O)/mbox2cyrus: $(CMD_OBJ) $(LIBM2C)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(LIBM2C) $(LIBS)

# Made afresh (rm first) whenever the Makefile changes too, so that an object taken
# off LIB_SRC leaves the archive.
$(LIBM2C): $(LIB_OBJ) Makefile
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# Every object depends on the flags it was built with, so SANITIZE=1 or a new
# CFLAGS rebuilds what it must.
$(O)/.flags: FORCE
	@mkdir -p $(O)
	@echo '$(ALL_CFLAGS)' | cmp -s - $@ || echo '$(ALL_CFLAGS)' > $@
FORCE:

$(O)/%.o: %.c $(O)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/tests/unit/%: tests/unit/%.c $(LIBM2C) $(O)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBM2C) $(LIBS)

$(O)/tests/helpers/%: tests/helpers/%.c $(LIBM2C) $(O)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBM2C) $(LIBS)

-include $(CMD_OBJ:.o=.d) $(LIB_OBJ:.o=.d)

# Every public header compiles on its own (STYLE.md §2).
hdr-check: $(O)/.flags
	@mkdir -p $(O)/hdr-check
	@set -e; for h in $(LIB_HDR); do \
	    b=$$(basename $$h .h); \
	    printf '#include "%s"\n' "$$b.h" > $(O)/hdr-check/$$b.c; \
	    $(CC) $(ALL_CFLAGS) -fsyntax-only $(O)/hdr-check/$$b.c || { echo "hdr-check: $$h does not compile on its own" >&2; exit 1; }; \
	done; echo "hdr-check: $(words $(LIB_HDR)) headers compile on their own"

deps:
	@sh tests/deps.sh

check-build: mbox2cyrus $(UNIT_BIN) $(HELPER_BIN) hdr-check

# The real work is in tests/run-tests.sh: prove over the unit binaries and the
# end-to-end scripts, then a check that no Cyrus started by the tests is left.
check: deps
	@$(MAKE) --no-print-directory check-build
	@M2C_BUILD=$(O) PROVE="$(PROVE)" PROVE_FLAGS="$(PROVE_FLAGS)" sh tests/run-tests.sh

demo: deps
	@$(MAKE) --no-print-directory mbox2cyrus
	@sh samples/demo.sh

BENCH_SCALE ?= small
BENCH_USERS ?=
bench: deps
	@$(MAKE) --no-print-directory mbox2cyrus
	@M2C_BENCH_SCALE=$(BENCH_SCALE) $(if $(BENCH_USERS),M2C_BENCH_USERS=$(BENCH_USERS)) sh bench/run.sh

# 20,000 generated small users through mapnames, convert --method spool and verify
# (BENCH_SITE_USERS to change the count); not part of `make check`.
BENCH_SITE_USERS ?= 20000
bench-site: deps
	@$(MAKE) --no-print-directory mbox2cyrus
	@M2C_BENCH_SITE_USERS=$(BENCH_SITE_USERS) python3 bench/site_bench.py

# valgrind over the unit tests and over one scan of every corpus file (slow: minutes).
VALGRIND = valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
           --error-exitcode=99
check-valgrind: check-build
	@set -e; for t in $(UNIT_BIN); do echo "valgrind $$t"; $(VALGRIND) $$t > /dev/null; done
	@if [ -d ../shared/corpus ]; then rm -rf build/vg-split; \
	    find ../shared/corpus -type f ! -name '*.md' ! -name '*.json' -print0 | sort -z | \
	    xargs -0 $(VALGRIND) ./mbox2cyrus scan --split build/vg-split --crlf > /dev/null 2>build/vg.log; \
	    s=$$?; grep -c '^mbox2cyrus scan' build/vg.log | sed 's/^/diagnostics: /'; \
	    if [ $$s = 99 ]; then grep -v '^mbox2cyrus scan' build/vg.log; echo "valgrind: errors"; exit 1; fi; \
	    echo "valgrind: scan of the corpus clean (exit $$s)"; fi

# libFuzzer (clang): the mbox reader (seeds: the corpus's mbox files when present), then
# the manifest reader and validator (seeds and a dictionary in tests/fuzz/), then the
# journal reader (seeds in tests/fuzz/journal-seeds), each for FUZZ_SECONDS.  Findings land in build-fuzz/found/.
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -D_GNU_SOURCE -Ilib
FUZZ_SRC := lib/mbox-reader.c lib/mbox-headers.c lib/mbox-copy.c lib/mbox-source.c lib/line-reader.c \
            lib/from-line.c lib/mbox-meta.c lib/tsv.c
FUZZ_MANIFEST_SRC := lib/manifest.c lib/manifest-validate.c lib/mailbox-name.c lib/mutf7.c lib/tsv.c lib/cyrus-conf.c
FUZZ_IMAP_SRC := lib/imap-session.c lib/imap-connect.c lib/imap-compress.c lib/imap-raw.c lib/imap-digest.c \
                 lib/tls-verify.c
FUZZ_JOURNAL_SRC := lib/journal.c lib/failure.c $(FUZZ_IMAP_SRC) \
                    lib/mbox-lock.c $(FUZZ_SRC)
FUZZ_BACKOUT_SRC := backout/mbexamine.c backout/mbexamine-record.c convert/cyrus-tools.c lib/fault.c \
                    $(FUZZ_IMAP_SRC) \
                    lib/mbox-writer.c lib/mbox-writer-lines.c $(FUZZ_SRC)
fuzz: deps
	@command -v clang >/dev/null || { echo "make fuzz: needs clang (with libFuzzer): apt-get install clang" >&2; exit 1; }
	@mkdir -p build-fuzz/seeds build-fuzz/found build-fuzz/corpus build-fuzz/corpus-manifest \
	    build-fuzz/corpus-journal build-fuzz/corpus-backout
	clang $(FUZZ_CFLAGS) $(GLIB_CFLAGS) -o build-fuzz/fuzz-mbox-reader \
	    tests/fuzz/fuzz-mbox-reader.c $(FUZZ_SRC) -larchive -lz $(GLIB_LIBS)
	clang $(FUZZ_CFLAGS) $(GLIB_CFLAGS) -o build-fuzz/fuzz-manifest \
	    tests/fuzz/fuzz-manifest.c $(FUZZ_MANIFEST_SRC) $(GLIB_LIBS)
	clang $(FUZZ_CFLAGS) $(GLIB_CFLAGS) -o build-fuzz/fuzz-journal \
	    tests/fuzz/fuzz-journal.c $(FUZZ_JOURNAL_SRC) -letpan -lgnutls -larchive -lz $(GLIB_LIBS)
	clang $(FUZZ_CFLAGS) -Ibackout -Iconvert $(GLIB_CFLAGS) -o build-fuzz/fuzz-backout \
	    tests/fuzz/fuzz-backout.c $(FUZZ_BACKOUT_SRC) -letpan -lgnutls -larchive -lz $(GLIB_LIBS)
	@if [ -d ../shared/corpus ]; then find ../shared/corpus -type f -size -200k \
	    \( -name '*.mbox' -o -name '*.txt' -o -name '*.sep' -o -name '*.in' \) \
	    -exec cp {} build-fuzz/seeds/ \; ; fi
	cd build-fuzz && { ./fuzz-mbox-reader -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -artifact_prefix=found/ -print_final_stats=1 corpus seeds 2>&1; \
	    echo $$? > mbox-reader.status; } | tail -25; exit $$(cat mbox-reader.status)
	cd build-fuzz && { ./fuzz-manifest -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
	    -dict=../tests/fuzz/manifest.dict -artifact_prefix=found/manifest- \
	    -print_final_stats=1 corpus-manifest ../tests/fuzz/manifest-seeds 2>&1; \
	    echo $$? > manifest.status; } | tail -25; exit $$(cat manifest.status)
	cd build-fuzz && { ./fuzz-journal -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -artifact_prefix=found/journal- -print_final_stats=1 corpus-journal \
	    ../tests/fuzz/journal-seeds 2>&1; \
	    echo $$? > journal.status; } | tail -25; exit $$(cat journal.status)
	cd build-fuzz && { ./fuzz-backout -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
	    -artifact_prefix=found/backout- -print_final_stats=1 corpus-backout \
	    ../tests/fuzz/backout-seeds 2>&1; \
	    echo $$? > backout.status; } | tail -25; exit $$(cat backout.status)

install: mbox2cyrus
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 mbox2cyrus $(DESTDIR)$(BINDIR)/mbox2cyrus
	install -m 0644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf build build-san build-fuzz mbox2cyrus
