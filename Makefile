# alluse — one plain Makefile. See docs/build.md.
#   make                      all binaries into build/bin/
#   make test                 unit + integration tests (tests/run.sh)
#   make bench                every benchmark (alluse-bench all)
#   make run                  the system on its embedded defaults
#   make SANITIZER=address|undefined|thread test
#   make install PREFIX=/usr/local DESTDIR=
#   make deps                 apt-get install the Debian packages (root)
#   make format-check | format | fuzz | clean

.DEFAULT_GOAL := all
CC       ?= cc
CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZER ?=

PKGS := liburing ck cmocka yaml-0.1 libpq libcrypto
ifeq ($(SANITIZER),)
PKGS += jemalloc
BUILD := build
else
BUILD := build-$(SANITIZER)
CFLAGS += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZER)
endif

# Refuse early, with the package to install, instead of failing with a compiler error.
ifeq ($(filter clean deps format format-check,$(MAKECMDGOALS)),)
DEPS_MISSING := $(shell scripts/check-deps.sh $(PKGS) >&2 || echo missing)
ifneq ($(DEPS_MISSING),)
$(error missing dependencies (see above); run 'make deps' as root)
endif
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -I. -MMD -MP \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm -lrt
ifeq ($(SANITIZER),)
LIBS += -ljemalloc
endif

Q := @
ifeq ($(V),1)
Q :=
endif

LIB_SRCS := $(wildcard rt/*.c shm/*.c workers/core/*.c workers/engine/*.c workers/audit/*.c workers/desk/*.c feeders/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/config/default_config.o
LIB      := $(BUILD)/lib/liballuse.a

# Programs: name -> source folder (every .c in it).
PROGRAMS :=
define PROGRAM
PROGRAMS += $(BUILD)/bin/$(1)
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(wildcard $(2)/*.c))
$(BUILD)/bin/$(1): $$($(1)_OBJS) $(LIB)
	@mkdir -p $$(dir $$@)
	@echo "  LD      $$@"
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$($(1)_OBJS) $(LIB) $(LIBS) $(3)
endef
-include build.programs.mk
$(foreach p,$(PROGRAM_LIST),$(eval $(call PROGRAM,$(word 1,$(subst :, ,$(p))),$(word 2,$(subst :, ,$(p))))))

TEST_SRCS := $(filter-out tests/support/%,$(wildcard tests/*/test_*.c))
TEST_BINS := $(TEST_SRCS:%.c=$(BUILD)/%)
TEST_SUPPORT := $(wildcard tests/support/*.c)
TEST_SUPPORT_OBJS := $(TEST_SUPPORT:%.c=$(BUILD)/obj/%.o)

# keep intermediate objects (test support, programs) between links
.SECONDARY:

.PHONY: all test bench run install clean deps format format-check fuzz
all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The embedded configuration: config/alluse.yaml and the environments' overlays
# (development, staging, production) linked in as bytes.
CONFIG_EMBEDDED := config/alluse.yaml config/development.yaml config/staging.yaml \
	config/production.yaml
$(BUILD)/obj/config/default_config.o: config/default_config.S $(CONFIG_EMBEDDED)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC/LD   $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -MF $@.d -o $@ $< $(TEST_SUPPORT_OBJS) $(LIB) $(LIBS)

test: $(PROGRAMS) $(TEST_BINS)
	$(Q)BUILD=$(BUILD) tests/run.sh $(TEST_BINS)

bench: $(PROGRAMS)
	$(Q)$(BUILD)/bin/alluse-bench all

run: $(PROGRAMS)
	$(Q)$(BUILD)/bin/alluse run

install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/alluse/config
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 config/*.yaml $(DESTDIR)$(PREFIX)/share/alluse/config/

deps:
	scripts/install-deps.sh

FMT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FMT_SRCS)
format-check:
	$(Q)clang-format --dry-run --Werror $(FMT_SRCS) && echo "format-check: $(words $(FMT_SRCS)) files clean"

fuzz:
	$(Q)scripts/fuzz.sh

clean:
	rm -rf build build-address build-undefined build-thread build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
