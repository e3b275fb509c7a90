#include "base/fault.h"

#include <cerrno>
#include <charconv>
#include <mutex>
#include <vector>

namespace torus::fault {

namespace {

struct Rule {
  Point point;
  Action action;
  uint64_t first = 1;  // the first call it applies to (1-based)
  uint64_t count = 0;  // how many from there; 0: all that follow
};

struct Plan {
  std::mutex mu;
  std::vector<Rule> rules;
  uint64_t calls[size_t(Point::kCount)] = {};
  std::string spec;
};

Plan& plan() {
  static Plan* p = new Plan;
  return *p;
}

constexpr std::string_view kPoints[] = {"send", "crypto_job"};

struct NamedError {
  std::string_view name;
  int value;
};
constexpr NamedError kErrors[] = {
    {"ECONNRESET", ECONNRESET}, {"EPIPE", EPIPE}, {"ETIMEDOUT", ETIMEDOUT}};

bool parseNumber(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

Result<Rule> parseRule(std::string_view text) {
  auto fail = [&](std::string why) {
    return makeError("TORUS_FAULTS: rule '" + std::string(text) + "': " + why);
  };
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) return fail("expected point=action[@first[+count]]");
  std::string_view point = text.substr(0, eq);
  std::string_view rest = text.substr(eq + 1);
  std::string_view when;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    when = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  Rule rule{};
  size_t p = 0;
  while (p < std::size(kPoints) && kPoints[p] != point) ++p;
  if (p == std::size(kPoints)) return fail("unknown point (send, crypto_job)");
  rule.point = Point(p);
  if (rest == "short") {
    rule.action.kind = Kind::kShort;
  } else if (rest == "hang") {
    rule.action.kind = Kind::kHang;
  } else {
    for (const NamedError& e : kErrors) {
      if (e.name == rest) rule.action = {Kind::kError, e.value};
    }
    if (rule.action.kind == Kind::kNone) {
      return fail("unknown action (short, hang, ECONNRESET, EPIPE, ETIMEDOUT)");
    }
  }
  if (rule.point == Point::kSend && rule.action.kind == Kind::kHang) {
    return fail("send takes short or an errno");
  }
  if (rule.point == Point::kCryptoJob && rule.action.kind != Kind::kHang) {
    return fail("crypto_job takes hang");
  }
  if (!when.empty()) {
    std::string_view first = when;
    rule.count = 1;
    if (size_t plus = when.find('+'); plus != std::string_view::npos) {
      first = when.substr(0, plus);
      std::string_view count = when.substr(plus + 1);
      rule.count = 0;
      if (!count.empty() && (!parseNumber(count, rule.count) || rule.count == 0)) {
        return fail("the count after '+' must be a positive integer");
      }
    }
    if (!parseNumber(first, rule.first) || rule.first == 0) {
      return fail("the call number after '@' must be a positive integer");
    }
  }
  return rule;
}

}  // namespace

namespace detail {

std::atomic<bool> gEnabled{false};

Action at(Point point) {
  Plan& p = plan();
  std::lock_guard hold(p.mu);
  uint64_t n = ++p.calls[size_t(point)];
  for (const Rule& r : p.rules) {
    if (r.point == point && n >= r.first && (r.count == 0 || n - r.first < r.count)) {
      return r.action;
    }
  }
  return {};
}

}  // namespace detail

Result<void> configure(std::string_view spec) {
  std::vector<Rule> rules;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    std::string_view text = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (text.empty()) continue;
    Result<Rule> rule = parseRule(text);
    if (!rule) return makeError(rule.error());
    rules.push_back(*rule);
  }
  Plan& p = plan();
  std::lock_guard hold(p.mu);
  p.rules = std::move(rules);
  p.spec = p.rules.empty() ? std::string() : std::string(spec);
  for (uint64_t& c : p.calls) c = 0;
  detail::gEnabled.store(!p.rules.empty(), std::memory_order_relaxed);
  return {};
}

std::string describe() {
  Plan& p = plan();
  std::lock_guard hold(p.mu);
  return p.spec;
}

}  // namespace torus::fault
