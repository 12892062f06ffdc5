// The manual pages against the code: every command and option that the
// built binary's --help lists is documented in man/retort.1, every key the
// config and migration.yaml loaders know is described in
// man/retort.yaml.5, and groff formats both pages without a warning.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace retort {
namespace {

struct CommandResult {
  int status = -1;     ///< exit status, -1 if the command did not exit normally
  std::string output;  ///< standard output and standard error
};

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  const int raw = pclose(pipe);
  if (raw != -1 && WIFEXITED(raw)) result.status = WEXITSTATUS(raw);
  return result;
}

std::string SourcePath(const std::string& relative) {
  return std::string(RETORT_SOURCE_DIR) + "/" + relative;
}

std::string ReadSource(const std::string& relative) {
  std::ifstream in(SourcePath(relative), std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << SourcePath(relative);
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

// --- roff ------------------------------------------------------------------

/// What a special character \(xx or \[xx] reads as, for searching.
std::string SpecialChar(const std::string& name) {
  if (name == "hy" || name == "en" || name == "mi") return "-";
  if (name == "aq") return "'";
  if (name == "dq" || name == "lq" || name == "rq") return "\"";
  return " ";
}

/// One line of roff source as plain text: escapes resolved (\- and \(hy are
/// '-', font changes, \& and the like vanish), comments dropped, and on a
/// macro line the argument quotes removed. Whitespace runs become one space.
std::string UnroffLine(const std::string& line) {
  const bool macro = !line.empty() && (line[0] == '.' || line[0] == '\'');
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"' && macro) continue;
    if (c != '\\' || i + 1 == line.size()) {
      out += c;
      continue;
    }
    const char e = line[++i];
    switch (e) {
      case '"':  // comment to the end of the line
        i = line.size();
        break;
      case '-':
        out += '-';
        break;
      case 'e':
        out += '\\';
        break;
      case ' ':
      case '~':
        out += ' ';
        break;
      case '&':
      case '|':
      case '^':
      case 'c':
      case '%':
      case '/':
      case ',':
      case ')':
        break;
      case 'f':
      case '*':
      case '(':
      case '[': {
        // \fB, \f(BI, \f[B], \*x, \(xx, \[name]
        std::string name;
        size_t at = e == '(' || e == '[' ? i : i + 1;
        if (at < line.size() && line[at] == '(') {
          name = line.substr(at + 1, 2);
          i = at + 2;
        } else if (at < line.size() && line[at] == '[') {
          size_t close = line.find(']', at);
          if (close == std::string::npos) close = line.size() - 1;
          name = line.substr(at + 1, close - at - 1);
          i = close;
        } else if (at < line.size()) {
          name = line.substr(at, 1);
          i = at;
        }
        if (e == '(' || e == '[') out += SpecialChar(name);
        break;
      }
      default:
        out += e;
        break;
    }
  }
  std::string squeezed;
  for (char c : out) {
    if ((c == ' ' || c == '\t') && (squeezed.empty() || squeezed.back() == ' ')) continue;
    squeezed += c == '\t' ? ' ' : c;
  }
  while (!squeezed.empty() && squeezed.back() == ' ') squeezed.pop_back();
  return squeezed;
}

/// A man page as plain lines, with its .SH sections and, per section, its
/// .SS subsections (the names are unroffed and their first words kept).
struct ManPage {
  std::string path;
  std::string th;  ///< the unroffed .TH line
  std::vector<std::string> lines;
  struct Part {
    std::string section;     ///< .SH name
    std::string subsection;  ///< .SS name ("" before the first .SS)
    std::vector<std::string> lines;
  };
  std::vector<Part> parts;

  /// Every line of section `sh` (all its subsections), joined by newlines.
  std::string Section(const std::string& sh) const {
    std::string out;
    for (const Part& p : parts) {
      if (p.section == sh) out += Join(p.lines, "\n") + "\n";
    }
    return out;
  }
  /// The subsections of `sh` whose name starts with the word `word`.
  std::string Subsection(const std::string& sh, const std::string& word) const {
    std::string out;
    for (const Part& p : parts) {
      if (p.section != sh) continue;
      const std::string first = p.subsection.substr(0, p.subsection.find(' '));
      if (first == word) out += p.subsection + "\n" + Join(p.lines, "\n") + "\n";
    }
    return out;
  }
  /// The terms of the tagged paragraphs (.TP) of `sh`: the first word of
  /// the line after each .TP.
  std::set<std::string> Terms(const std::string& sh) const {
    std::set<std::string> terms;
    for (const Part& p : parts) {
      if (p.section != sh) continue;
      for (size_t i = 0; i + 1 < p.lines.size(); ++i) {
        if (p.lines[i] != ".TP") continue;
        std::istringstream words(p.lines[i + 1]);
        std::string word;
        words >> word;
        if (!word.empty() && word[0] == '.') words >> word;  // .B term, .BR term ...
        terms.insert(word);
      }
    }
    return terms;
  }
};

std::string MacroArgument(const std::string& line) {
  size_t space = line.find(' ');
  return space == std::string::npos ? "" : line.substr(space + 1);
}

ManPage LoadManPage(const std::string& relative) {
  ManPage page;
  page.path = SourcePath(relative);
  for (const std::string& raw : Lines(ReadSource(relative))) {
    std::string line = UnroffLine(raw);
    if (line == "." || line.empty()) continue;  // comment lines
    page.lines.push_back(line);
    if (line.rfind(".TH ", 0) == 0) {
      page.th = line;
    } else if (line.rfind(".SH ", 0) == 0) {
      page.parts.push_back({MacroArgument(line), "", {}});
    } else if (line.rfind(".SS ", 0) == 0 && !page.parts.empty()) {
      page.parts.push_back({page.parts.back().section, MacroArgument(line), {}});
    } else if (!page.parts.empty()) {
      page.parts.back().lines.push_back(line);
    }
  }
  return page;
}

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

/// Whether `text` holds `token` with no word character (or '-') right
/// before or after it: "--sql" is not found in "--sql-file".
bool HasToken(const std::string& text, const std::string& token) {
  for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + 1)) {
    const bool start = at == 0 || !IsWordChar(text[at - 1]);
    const size_t end = at + token.size();
    const bool stop = end == text.size() || !IsWordChar(text[end]);
    if (start && stop) return true;
  }
  return false;
}

// --- --help ------------------------------------------------------------------

/// What CLI11's help text lists.
struct Help {
  std::vector<std::string> subcommands;
  std::vector<std::string> options;  ///< each name on its own: "-m", "--message"
  std::vector<std::string> positionals;
};

Help ParseHelp(const std::string& text) {
  Help help;
  enum class Block { kNone, kOptions, kPositionals, kSubcommands } block = Block::kNone;
  for (const std::string& line : Lines(text)) {
    if (line == "Options:") {
      block = Block::kOptions;
    } else if (line == "Positionals:") {
      block = Block::kPositionals;
    } else if (line == "Subcommands:") {
      block = Block::kSubcommands;
    } else if (line.size() > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ') {
      // An entry starts at column 2; wrapped descriptions are indented more.
      std::string first = line.substr(2, line.find(' ', 2) - 2);
      switch (block) {
        case Block::kOptions: {
          std::istringstream names(first);
          std::string name;
          while (std::getline(names, name, ',')) {
            if (!name.empty() && name[0] == '-') help.options.push_back(name);
          }
          break;
        }
        case Block::kPositionals: help.positionals.push_back(first); break;
        case Block::kSubcommands: help.subcommands.push_back(first); break;
        case Block::kNone: break;
      }
    } else if (line.empty() || line[0] != ' ') {
      block = Block::kNone;
    }
  }
  return help;
}

Help RunHelp(const std::vector<std::string>& args) {
  std::string command = ShellQuote(RETORT_BINARY);
  for (const std::string& a : args) command += " " + ShellQuote(a);
  CommandResult r = RunShell(command + " --help");
  EXPECT_EQ(0, r.status) << command << " --help failed:\n" << r.output;
  return ParseHelp(r.output);
}

class ManPageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    top_ = new Help(RunHelp({}));
    page_ = new ManPage(LoadManPage("man/retort.1"));
    yaml_page_ = new ManPage(LoadManPage("man/retort.yaml.5"));
  }
  static void TearDownTestSuite() {
    delete top_;
    delete page_;
    delete yaml_page_;
    top_ = nullptr;
    page_ = nullptr;
    yaml_page_ = nullptr;
  }
  static Help* top_;
  static ManPage* page_;
  static ManPage* yaml_page_;
};

Help* ManPageTest::top_ = nullptr;
ManPage* ManPageTest::page_ = nullptr;
ManPage* ManPageTest::yaml_page_ = nullptr;

TEST_F(ManPageTest, HelpIsParsed) {
  // Guards the tests below against a help format they no longer understand.
  EXPECT_GE(top_->subcommands.size(), 10u) << "subcommands parsed: " << Join(top_->subcommands, ", ");
  EXPECT_NE(std::find(top_->subcommands.begin(), top_->subcommands.end(), "upgrade"), top_->subcommands.end());
  EXPECT_NE(std::find(top_->options.begin(), top_->options.end(), "--config"), top_->options.end());
  Help upgrade = RunHelp({"upgrade"});
  EXPECT_NE(std::find(upgrade.options.begin(), upgrade.options.end(), "--sql"), upgrade.options.end());
  EXPECT_EQ(std::vector<std::string>{"revision"}, upgrade.positionals);
  EXPECT_TRUE(HasToken("a --sql b", "--sql"));
  EXPECT_FALSE(HasToken("a --sql-file b", "--sql"));
  EXPECT_EQ(".BR -c , --config file", UnroffLine(R"(.BR \-c ", " \-\-config " \fIfile\fR")"));
}

TEST_F(ManPageTest, EveryCommandHasItsOwnSubsectionAndSynopsisLine) {
  const std::string synopsis = page_->Section("SYNOPSIS");
  std::vector<std::string> missing;
  for (const std::string& command : top_->subcommands) {
    if (page_->Subsection("COMMANDS", command).empty()) {
      missing.push_back(command + " (no .SS " + command + " under COMMANDS)");
    }
    if (!HasToken(synopsis, "retort " + command)) missing.push_back(command + " (not in SYNOPSIS)");
  }
  EXPECT_TRUE(missing.empty()) << "man/retort.1 lacks commands that retort --help lists:\n  "
                               << Join(missing, "\n  ");
}

TEST_F(ManPageTest, EveryOptionAndArgumentOfEveryCommandIsInItsSubsection) {
  std::vector<std::string> missing;
  for (const std::string& command : top_->subcommands) {
    const std::string text = page_->Subsection("COMMANDS", command);
    if (text.empty()) continue;  // reported by the test above
    Help help = RunHelp({command});
    for (const std::string& option : help.options) {
      if (option == "-h" || option == "--help") continue;  // under GLOBAL OPTIONS, once
      if (!HasToken(text, option)) missing.push_back(command + " " + option);
    }
    for (const std::string& positional : help.positionals) {
      if (!HasToken(text, positional)) missing.push_back(command + " <" + positional + ">");
    }
  }
  EXPECT_TRUE(missing.empty()) << "man/retort.1 does not document these (COMMANDS, the command's .SS):\n  "
                               << Join(missing, "\n  ");
}

TEST_F(ManPageTest, EveryGlobalOptionIsUnderGlobalOptions) {
  const std::string text = page_->Section("GLOBAL OPTIONS");
  ASSERT_FALSE(text.empty()) << "man/retort.1 has no GLOBAL OPTIONS section";
  std::vector<std::string> missing;
  for (const std::string& option : top_->options) {
    if (!HasToken(text, option)) missing.push_back(option);
  }
  EXPECT_TRUE(missing.empty()) << "man/retort.1 GLOBAL OPTIONS lacks: " << Join(missing, ", ");
}

TEST_F(ManPageTest, EveryExitCodeIsUnderExitStatus) {
  // Values from the enum, names from ExitCodeName.
  const std::string header = ReadSource("include/retort/common/exit_code.h");
  const std::string names = ReadSource("src/common/exit_code.cc");
  std::map<std::string, std::string> value_of;  // kOk -> 0
  const std::regex value_re(R"((k\w+)\s*=\s*(\d+))");
  for (auto it = std::sregex_iterator(header.begin(), header.end(), value_re); it != std::sregex_iterator(); ++it) {
    value_of[(*it)[1]] = (*it)[2];
  }
  const std::regex name_re(R"re(ExitCode::(k\w+)\s*:\s*return\s*"([a-z-]+)")re");
  const std::string text = page_->Section("EXIT STATUS");
  size_t checked = 0;
  std::vector<std::string> missing;
  for (auto it = std::sregex_iterator(names.begin(), names.end(), name_re); it != std::sregex_iterator(); ++it) {
    const std::string value = value_of[(*it)[1]];
    const std::string entry = value + " " + (*it)[2].str();
    ++checked;
    if (!HasToken(text, entry)) missing.push_back(entry);
  }
  EXPECT_GE(checked, 7u) << "could not read the exit codes from exit_code.h / exit_code.cc";
  EXPECT_TRUE(missing.empty()) << "man/retort.1 EXIT STATUS lacks: " << Join(missing, ", ");
  EXPECT_TRUE(HasToken(text, "70")) << "man/retort.1 EXIT STATUS lacks 70 (internal error)";
}

TEST_F(ManPageTest, PagesCarryTheBinarysVersion) {
  CommandResult r = RunShell(ShellQuote(RETORT_BINARY) + " --version");
  ASSERT_EQ(0, r.status) << r.output;
  std::string version = r.output.substr(0, r.output.find('\n'));  // "retort 0.1.0"
  EXPECT_NE(std::string::npos, page_->th.find(version)) << page_->th;
  EXPECT_NE(std::string::npos, yaml_page_->th.find(version)) << yaml_page_->th;
}

/// The strings of `const std::vector<std::string> <name> = {...};` in `source`.
std::vector<std::string> StringTable(const std::string& source, const std::string& name) {
  std::vector<std::string> out;
  const std::regex table_re("std::vector<std::string>\\s+" + name + "\\s*=\\s*\\{([^}]*)\\}");
  std::smatch m;
  if (!std::regex_search(source, m, table_re)) return out;
  const std::string body = m[1];
  const std::regex string_re("\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), string_re); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

TEST_F(ManPageTest, YamlPageDescribesEveryConfigKey) {
  const std::string loader = ReadSource("src/config/config_loader.cc");
  const std::set<std::string> terms = yaml_page_->Terms("RETORT.YAML");
  std::vector<std::string> missing;
  for (const char* table : {"kTopKeys", "kTenancyKeys", "kWaiverKeys"}) {
    std::vector<std::string> keys = StringTable(loader, table);
    EXPECT_FALSE(keys.empty()) << "no " << table << " table in src/config/config_loader.cc";
    for (const std::string& key : keys) {
      if (!terms.count(key)) missing.push_back(key + " (" + table + ")");
    }
  }
  EXPECT_TRUE(missing.empty()) << "man/retort.yaml.5 RETORT.YAML has no .TP entry for:\n  "
                               << Join(missing, "\n  ");
}

TEST_F(ManPageTest, YamlPageDescribesEveryMigrationYamlKey) {
  std::vector<std::string> keys =
      StringTable(ReadSource("src/script/script_directory.cc"), "kMigrationKeys");
  ASSERT_FALSE(keys.empty()) << "no kMigrationKeys table in src/script/script_directory.cc";
  const std::set<std::string> terms = yaml_page_->Terms("MIGRATION.YAML");
  std::vector<std::string> missing;
  for (const std::string& key : keys) {
    if (!terms.count(key)) missing.push_back(key);
  }
  EXPECT_TRUE(missing.empty()) << "man/retort.yaml.5 MIGRATION.YAML has no .TP entry for: "
                               << Join(missing, ", ");
}

TEST_F(ManPageTest, GroffFormatsBothPagesWithoutWarnings) {
  CommandResult which = RunShell("command -v groff");
  ASSERT_EQ(0, which.status) << "groff is not installed, so the man pages cannot be checked; "
                                "install groff-base (Debian), as .ci/run and the README's package "
                                "list do";
  for (const char* page : {"man/retort.1", "man/retort.yaml.5"}) {
    CommandResult r = RunShell("groff -man -ww -z " + ShellQuote(SourcePath(page)));
    EXPECT_EQ(0, r.status) << page;
    EXPECT_EQ("", r.output) << "groff -man -ww -z " << page << " warns:\n" << r.output;
  }
}

TEST_F(ManPageTest, PagesAreAscii) {
  // groff reads its input as Latin-1: UTF-8 would render as mojibake; use
  // roff escapes such as \(em instead.
  for (const char* page : {"man/retort.1", "man/retort.yaml.5"}) {
    const std::vector<std::string> lines = Lines(ReadSource(page));
    for (size_t i = 0; i < lines.size(); ++i) {
      for (char c : lines[i]) {
        if (static_cast<unsigned char>(c) >= 0x80) {
          ADD_FAILURE() << page << ":" << i + 1 << ": a non-ASCII byte";
          break;
        }
      }
    }
  }
}

}  // namespace
}  // namespace retort
