// torus serve's settings, from its command line and from a TOML config file, through one
// table (config.cc): each setting has a flag, a config key, a type with its bounds, a help
// line and where it lands in ServeOptions. `torus --help`, the config reference in
// docs/configuration.md (`torus config-reference`) and both parsers read that table, so a
// flag never exists without its key, or the docs without either.
//
//   torus serve ENTRY [flags]            no config
//   torus serve --config FILE [flags]    the file, then the flags on top of it
//   torus check FILE                     every problem of FILE, each as FILE:LINE:COLUMN
//
// Problems are collected, not thrown: unknown keys (with a did-you-mean), wrong types,
// values out of range, duplicate listeners, unreadable files, certificates that do not load
// or do not match their key, an entry module that fails to load or throw at import (checked
// by `torus check`, which loads it as a worker would).
#pragma once

#include <string>
#include <vector>

#include "server/options.h"

namespace torus::server {

struct ConfigProblem {
  std::string file;  // empty: the command line
  int line = 0;      // 1-based; 0 when not from a file
  int column = 0;
  std::string message;
  // The arguments are fine but the world is not (a file missing or unreadable, a certificate
  // that does not load): `serve` exits 1 for these, 2 for a usage error.
  bool environment = false;
  std::string text() const;  // "FILE:LINE:COLUMN: message", or "message"
};

// Parses `torus serve`'s arguments (argv[2...]): --config first if given, then the flags.
// Problems are usage errors (exit 2) for flags, config errors (exit 1) for the file.
std::vector<ConfigProblem> parseServeArgs(int argc, char** argv, ServeOptions& options);

// Reads a config file into options (what it does not say keeps its default).
std::vector<ConfigProblem> loadConfigFile(const std::string& path, ServeOptions& options);

// After parsing: defaults that depend on other settings, the entry module resolved and
// readable, settings that need each other (https listeners need certificates...), files
// readable, certificates loaded with their keys.
std::vector<ConfigProblem> finishServeOptions(ServeOptions& options);

// The "serve options" part of --help, and the Markdown reference of every setting.
std::string serveOptionsHelp();
std::string configReference();

}  // namespace torus::server
