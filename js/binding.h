// The declarative binding layer (WebIDL as V8 embedders do it): a C++ class exposed to JS
// declares its surface once, in a static describe(ClassBuilder<T>&), and the builder turns it
// into a V8 FunctionTemplate. Arguments convert through a closed set of Converter<T>
// specialisations (https://webidl.spec.whatwg.org/#es-type-mapping); a failed conversion
// throws a TypeError that names the argument, the member and the class:
//   "Failed to execute 'append' on 'Headers': parameter 1 is not a valid header name."
// Methods report expected failures by returning JsResult<T> holding a JsError; the binding
// throws it (or, for a promise-returning operation, rejects with it). No C++ exception crosses
// a V8 callback.
//
//   class Headers : public Wrappable {
//    public:
//     static constexpr WrapperType kType{"Headers"};
//     static void describe(ClassBuilder<Headers>& c) {
//       c.constructor<&Headers::construct>();
//       c.method<&Headers::append>("append");
//       c.getter<&Headers::size>("size");
//       c.pairIterable<&Headers::pairAt>();
//     }
//     static JsResult<Headers*> construct(Realm& realm, Optional<v8::Local<v8::Value>> init);
//     JsResult<void> append(Realm& realm, ByteString name, ByteString value);
//   };
//
// What WebIDL types map to (the closed set; grown when an API needs one):
//   any -> v8::Local<v8::Value>      object -> v8::Local<v8::Object>     boolean -> bool
//   unrestricted double -> double    byte..unsigned long long -> int8_t..uint64_t
//   [EnforceRange] T -> EnforceRange<T>   [Clamp] T -> Clamp<T>      bigint -> Local<BigInt>
//   DOMString/USVString -> std::string (UTF-8)   ByteString -> ByteString
//   BufferSource -> BufferSource     interface I -> I* (I a Wrappable)
//   sequence<T> -> std::vector<T>    record<K, V> -> Record<K, V>    T? -> Nullable<T>
//   optional T -> Optional<T>        (A or B) -> std::variant<A, B>   enum -> enum + EnumValues
//   dictionary -> struct with members()           callback function -> Local<Function>
//   callback interface -> CallbackInterface
//
// Lifetime: a Wrappable is owned by its JS wrapper and deleted by a second-pass weak callback
// after the wrapper is collected, or at isolate teardown (Realm keeps the list). JS values a
// native holds live on its wrapper (setTraced), where the GC sees them.
//
// Thread: the isolate's (one worker thread).
#pragma once

#include <v8.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "js/realm.h"

namespace torus::js {

// ---- errors ----

struct JsError {
  // kPending: a JS exception is already pending (user code called from C++ threw); the
  // binding throws nothing more, so that exception reaches the caller unchanged.
  enum class Kind { kTypeError, kRangeError, kError, kDOMException, kPending };
  Kind kind = Kind::kTypeError;
  std::string message;
  std::string name;  // DOMException name ("DataCloneError", "AbortError"...)

  static JsError type(std::string m) { return {Kind::kTypeError, std::move(m), {}}; }
  static JsError range(std::string m) { return {Kind::kRangeError, std::move(m), {}}; }
  static JsError dom(std::string name, std::string m) {
    return {Kind::kDOMException, std::move(m), std::move(name)};
  }
  static JsError pending() { return {Kind::kPending, {}, {}}; }
};

// A method's return: a value or a JsError the binding throws.
template <typename T>
class [[nodiscard]] JsResult {
 public:
  JsResult(T v) : v_(std::move(v)) {}
  JsResult(JsError e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  T& value() { return std::get<0>(v_); }
  JsError& error() { return std::get<1>(v_); }

 private:
  std::variant<T, JsError> v_;
};
template <>
class [[nodiscard]] JsResult<void> {
 public:
  JsResult() = default;
  JsResult(JsError e) : e_(std::move(e)), failed_(true) {}
  bool ok() const { return !failed_; }
  JsError& error() { return e_; }

 private:
  JsError e_;
  bool failed_ = false;
};

// Throws err into the isolate (DOMException through the realm's constructor).
void throwError(v8::Isolate* isolate, const JsError& err);

// Calls the built-ins' realm helper `name` (Realm::helper, loading its lazy file) with an
// undefined receiver: its result, a TypeError if no built-in registers it, or
// JsError::pending() if it threw.
JsResult<v8::Local<v8::Value>> callHelper(Realm& realm, const char* name, int argc,
                                          v8::Local<v8::Value>* argv);
inline JsResult<v8::Local<v8::Value>> callHelper(Realm& realm, const char* name,
                                                 v8::Local<v8::Value> arg) {
  return callHelper(realm, name, 1, &arg);
}
// The exception object err stands for (empty for kPending).
v8::Local<v8::Value> errorValue(v8::Isolate* isolate, const JsError& err);

// ---- wrapped objects ----

// A class's type tag. `parent` makes the chain of an inheriting class (File's parent is
// Blob's tag): unwrap<Blob> accepts a File.
//   static constexpr WrapperType kType{"File", &Blob::kType};
struct WrapperType {
  const char* name;
  const WrapperType* parent = nullptr;
  bool is(const WrapperType* ancestor) const {
    for (const WrapperType* t = this; t; t = t->parent) {
      if (t == ancestor) return true;
    }
    return false;
  }
};

class Wrappable {
 public:
  virtual ~Wrappable();
  // The JS object, while it is alive (owned wrappers only).
  v8::Local<v8::Object> wrapper(v8::Isolate* isolate) const {
    return wrapper_.Get(isolate);
  }
  // Binds this native object to obj (an instance of its class template); obj owns it.
  void attach(Realm& realm, v8::Local<v8::Object> obj, const WrapperType* type);
  // Binds obj to this native through a slot: the native is owned elsewhere (request
  // memory) and becomes unreachable from obj when the slot is released.
  static void attachThroughSlot(v8::Local<v8::Object> obj, const WrapperType* type, Slot* slot);
  // Keeps the wrapper alive regardless of JS references (for in-flight work).
  void setStrong(bool strong);

  // JS values the native holds (callbacks, listeners, resolvers, other wrappers) live in
  // numbered slots on its wrapper, traced by the GC: a cycle between such a value and the
  // wrapper is collected, which a v8::Global would leak. Index: small, chosen by the class
  // (a subclass continues after its base's). Owned wrappers only (attached, still alive).
  //   setTraced(realm, kListener, callback);  ...  traced(realm, kListener)
  void setTraced(Realm& realm, int index, v8::Local<v8::Value> value);
  // The value in slot index, or undefined.
  v8::Local<v8::Value> traced(Realm& realm, int index) const;
  // The same on any wrapper object (e.g. one bound through a slot).
  static void setTraced(Realm& realm, v8::Local<v8::Object> wrapper, int index,
                        v8::Local<v8::Value> value);
  static v8::Local<v8::Value> traced(Realm& realm, v8::Local<v8::Object> wrapper, int index);

  // The native object behind v, if v wraps a T or a class inheriting from it (checked by
  // the type tag's chain), else nullptr.
  template <typename T>
  static T* unwrap(v8::Local<v8::Value> v) {
    return static_cast<T*>(unwrapAs(v, &T::kType));
  }
  static Wrappable* unwrapAs(v8::Local<v8::Value> v, const WrapperType* type);
  // Why v is not a usable `type`: its request has ended, or it is not one at all.
  static JsError receiverError(v8::Local<v8::Value> v, const WrapperType* type);

 private:
  friend class Realm;
  static void onWeak(const v8::WeakCallbackInfo<Wrappable>& info);
  static void onSecondPass(const v8::WeakCallbackInfo<Wrappable>& info);
  v8::Global<v8::Object> wrapper_;
  Realm* realm_ = nullptr;
  Wrappable* prevLive_ = nullptr;
  Wrappable* nextLive_ = nullptr;
};

// Internal fields of every wrapper: the native (or its Slot), the type tag, the slot
// generation (as an aligned integer; 0 for a wrapper that owns its native), and the array
// of traced JS values (undefined until the first setTraced).
enum : int {
  kWrapperFieldObject = 0,
  kWrapperFieldType = 1,
  kWrapperFieldGeneration = 2,
  kWrapperFieldTraced = 3,
  kWrapperFieldCount = 4
};

// ---- IDL values ----

// An optional argument (or dictionary member): undefined (or missing) converts to nullopt.
template <typename T>
using Optional = std::optional<T>;

// A nullable type T?: null or undefined convert to nullopt; returned, nullopt is null.
template <typename T>
struct Nullable : std::optional<T> {
  using std::optional<T>::optional;
  using std::optional<T>::operator=;
};

// A string restricted to code points <= U+00FF (WebIDL ByteString), held as Latin-1 bytes.
struct ByteString {
  std::string value;
};

// Bytes of an ArrayBuffer or a view; valid during the call only.
struct BufferSource {
  std::span<const char> bytes;
  v8::Local<v8::Value> object;
};

// [EnforceRange] and [Clamp] integer arguments: EnforceRange<uint8_t> is
// `[EnforceRange] octet` (a non-finite or out-of-range value is a TypeError); Clamp<int32_t>
// is `[Clamp] long` (clamped, then rounded half to even).
template <typename I>
struct EnforceRange {
  I value{};
};
template <typename I>
struct Clamp {
  I value{};
};

// record<K, V> (K: std::string or ByteString): the entries in the object's property order.
template <typename K, typename V>
struct Record {
  std::vector<std::pair<K, V>> entries;
};

// A callback interface value (e.g. EventListener): a function, or an object whose operation
// (e.g. "handleEvent") is looked up when called.
struct CallbackInterface {
  v8::Local<v8::Object> object;
  // https://webidl.spec.whatwg.org/#call-a-user-objects-operation: a callable object is
  // called with thisArg; otherwise object[operation] is called with object as `this` (a
  // TypeError if it is not callable). A JS exception comes back as JsError::pending().
  JsResult<v8::Local<v8::Value>> call(Realm& realm, const char* operation,
                                      v8::Local<v8::Value> thisArg,
                                      std::span<v8::Local<v8::Value>> args) const;
};

// An IDL enum: a C++ enum (values 0..N-1) with its strings, in the enum's order:
//   enum class Mode { kCors, kNoCors };
//   template <> struct EnumValues<Mode> {
//     static constexpr const char* kName = "RequestMode";
//     static constexpr std::string_view kValues[] = {"cors", "no-cors"};
//   };
template <typename E>
struct EnumValues;

// An IDL dictionary: a struct whose default member initializers are the defaults, with its
// name and its members (any order: they are converted in the spec's lexicographic order,
// inherited members first, each read once). `using Inherits = Base;` for an inheriting one.
//   struct PointInit {
//     static constexpr const char* kName = "PointInit";
//     double x = 0;
//     Optional<std::string> label;
//     static constexpr auto members() {
//       return std::tuple(requiredField("x", &PointInit::x), field("label", &PointInit::label));
//     }
//   };
template <typename D, typename M>
struct DictionaryField {
  const char* name;
  M D::*pointer;
  bool required;
};
template <typename D, typename M>
constexpr DictionaryField<D, M> field(const char* name, M D::*pointer) {
  return {name, pointer, false};
}
template <typename D, typename M>
constexpr DictionaryField<D, M> requiredField(const char* name, M D::*pointer) {
  return {name, pointer, true};
}

// ---- argument conversion ----

struct ArgContext {
  Realm& realm;
  const char* className;
  const char* member;  // "constructor" for a constructor
  int index;           // 1-based parameter; 0 for the value of an attribute or a member
  bool setter = false;  // converting an attribute's new value
  // Converting a dictionary member: the dictionary's own context, and its name (member
  // is then the dictionary member's name).
  const ArgContext* outer = nullptr;
  const char* dictionary = nullptr;
};

// "Failed to execute 'member' on 'Class': parameter N <what>" (or "... The provided value
// <what>" for an attribute or a dictionary member, within "Failed to set the 'x' property
// on 'Class': " or "Failed to read the 'm' property from 'Dict': ").
JsError argError(const ArgContext& cx, std::string_view what);
// The same prefix before a whole message.
JsError contextError(const ArgContext& cx, std::string_view message);

template <typename T, typename Enable = void>
struct Converter;

// Runs the iterator protocol over iterable with its @@iterator method, calling
// onValue(v8::Local<v8::Value>) -> bool for each value. False with an exception pending.
template <typename F>
bool iterate(Realm& realm, v8::Local<v8::Value> iterable, v8::Local<v8::Function> method,
             F&& onValue);
// GetMethod(v, @@iterator): true with *method empty when v has none; false with an
// exception pending when it is not callable (or reading it threw).
bool getIteratorMethod(Realm& realm, v8::Local<v8::Object> v, v8::Local<v8::Function>* method);

namespace detail {

template <typename T>
using Bare = std::remove_cvref_t<T>;
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsNullable : std::false_type {};
template <typename T>
struct IsNullable<Nullable<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <typename T>
struct IsRecord : std::false_type {};
template <typename K, typename V>
struct IsRecord<Record<K, V>> : std::true_type {};
template <typename T>
struct IsVariant : std::false_type {};
template <typename... Ts>
struct IsVariant<std::variant<Ts...>> : std::true_type {};
template <typename T>
struct IsLocal : std::false_type {};
template <typename T>
struct IsLocal<v8::Local<T>> : std::true_type {};

template <typename T>
concept Integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <typename T>
concept Dictionary = requires {
  T::members();
  T::kName;
};
template <typename T>
concept IdlEnum = std::is_enum_v<T> && requires { EnumValues<T>::kValues; };
template <typename T>
concept WrappablePointer =
    std::is_pointer_v<T> && std::is_base_of_v<Wrappable, std::remove_pointer_t<T>>;

// What a type is to WebIDL's union resolution (https://webidl.spec.whatwg.org/#es-union).
enum class IdlKind {
  kOther,
  kInterface,
  kBufferSource,
  kCallbackFunction,
  kSequence,
  kDictionary,
  kRecord,
  kCallbackInterface,
  kObject,
  kBoolean,
  kNumeric,
  kBigInt,
  kString
};
template <typename T>
constexpr IdlKind kindOf() {
  if constexpr (std::is_same_v<T, bool>) return IdlKind::kBoolean;
  else if constexpr (Integer<T> || std::is_same_v<T, double>) return IdlKind::kNumeric;
  else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, ByteString> ||
                     IdlEnum<T>)
    return IdlKind::kString;
  else if constexpr (WrappablePointer<T>) return IdlKind::kInterface;
  else if constexpr (std::is_same_v<T, BufferSource>) return IdlKind::kBufferSource;
  else if constexpr (std::is_same_v<T, v8::Local<v8::Function>>)
    return IdlKind::kCallbackFunction;
  else if constexpr (IsVector<T>::value) return IdlKind::kSequence;
  else if constexpr (Dictionary<T>) return IdlKind::kDictionary;
  else if constexpr (IsRecord<T>::value) return IdlKind::kRecord;
  else if constexpr (std::is_same_v<T, CallbackInterface>) return IdlKind::kCallbackInterface;
  else if constexpr (std::is_same_v<T, v8::Local<v8::Object>>) return IdlKind::kObject;
  else if constexpr (std::is_same_v<T, v8::Local<v8::BigInt>>) return IdlKind::kBigInt;
  else return IdlKind::kOther;
}
template <typename I>
struct IsRangedInteger : std::false_type {};
template <typename I>
struct IsRangedInteger<EnforceRange<I>> : std::true_type {};
template <typename I>
struct IsRangedInteger<Clamp<I>> : std::true_type {};

// WebIDL integer types by width and signedness.
struct IntSpec {
  int bits;
  bool isSigned;
  const char* name;  // "octet", "long long"...
};
template <typename I>
constexpr IntSpec intSpec() {
  constexpr int bits = int(sizeof(I) * 8);
  constexpr bool s = std::is_signed_v<I>;
  constexpr const char* names[2][4] = {{"octet", "unsigned short", "unsigned long",
                                        "unsigned long long"},
                                       {"byte", "short", "long", "long long"}};
  return {bits, s, names[s][bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3]};
}
enum class IntMode { kModulo, kEnforceRange, kClamp };
// https://webidl.spec.whatwg.org/#abstract-opdef-converttoint: the integer's bits (two's
// complement) in *out. False with an exception pending.
bool convertToInt(const ArgContext& cx, v8::Local<v8::Value> v, IntSpec spec, IntMode mode,
                  uint64_t* out);

// The IDL name of a type, for messages ("sequence<ByteString>", "(long or DOMString)").
template <typename T>
std::string typeName();

using IterateFn = bool (*)(void* state, v8::Local<v8::Value> value);
bool iterate(Realm& realm, v8::Local<v8::Value> iterable, v8::Local<v8::Function> method,
             void* state, IterateFn fn);
// For each own property key of obj whose descriptor is enumerable, in [[OwnPropertyKeys]]
// order: fn(state, key) -> bool. False with an exception pending.
using RecordKeyFn = bool (*)(void* state, v8::Local<v8::Value> key);
bool forEachEnumerableOwnKey(Realm& realm, v8::Local<v8::Object> obj, void* state,
                             RecordKeyFn fn);

}  // namespace detail

template <typename F>
bool iterate(Realm& realm, v8::Local<v8::Value> iterable, v8::Local<v8::Function> method,
             F&& onValue) {
  using Fn = std::remove_reference_t<F>;
  return detail::iterate(realm, iterable, method,
                         const_cast<void*>(static_cast<const void*>(&onValue)),
                         [](void* s, v8::Local<v8::Value> v) { return (*static_cast<Fn*>(s))(v); });
}

template <>
struct Converter<v8::Local<v8::Value>> {
  static bool from(const ArgContext&, v8::Local<v8::Value> v, v8::Local<v8::Value>* out) {
    *out = v;
    return true;
  }
};
// `object`.
template <>
struct Converter<v8::Local<v8::Object>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, v8::Local<v8::Object>* out);
};
// A callback function: anything callable.
template <>
struct Converter<v8::Local<v8::Function>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, v8::Local<v8::Function>* out);
};
template <>
struct Converter<CallbackInterface> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, CallbackInterface* out);
};
// `bigint`: ToBigInt (a Number is a TypeError; a string is parsed).
template <>
struct Converter<v8::Local<v8::BigInt>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, v8::Local<v8::BigInt>* out);
};
template <>
struct Converter<bool> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, bool* out) {
    *out = v->BooleanValue(cx.realm.isolate());
    return true;
  }
};
// `unrestricted double` (ToNumber; NaN and infinities pass).
template <>
struct Converter<double> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, double* out);
};
// byte, octet, short, unsigned short, long, unsigned long, long long, unsigned long long:
// ToNumber, then modulo 2^bits (long long and unsigned long long as WebIDL's ConvertToInt).
template <detail::Integer I>
struct Converter<I> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, I* out) {
    if (v->IsInt32()) {
      int32_t i = v.As<v8::Int32>()->Value();
      if (std::in_range<I>(i)) {
        *out = I(i);
        return true;
      }
    }
    uint64_t bits;
    if (!detail::convertToInt(cx, v, detail::intSpec<I>(), detail::IntMode::kModulo, &bits)) {
      return false;
    }
    *out = static_cast<I>(bits);
    return true;
  }
};
template <detail::Integer I>
struct Converter<EnforceRange<I>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, EnforceRange<I>* out) {
    uint64_t bits;
    if (!detail::convertToInt(cx, v, detail::intSpec<I>(), detail::IntMode::kEnforceRange,
                              &bits)) {
      return false;
    }
    out->value = static_cast<I>(bits);
    return true;
  }
};
template <detail::Integer I>
struct Converter<Clamp<I>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, Clamp<I>* out) {
    uint64_t bits;
    if (!detail::convertToInt(cx, v, detail::intSpec<I>(), detail::IntMode::kClamp, &bits)) {
      return false;
    }
    out->value = static_cast<I>(bits);
    return true;
  }
};
// DOMString/USVString as UTF-8 (ToString semantics: a Symbol is a TypeError).
template <>
struct Converter<std::string> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, std::string* out);
};
template <>
struct Converter<ByteString> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, ByteString* out);
};
template <>
struct Converter<BufferSource> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, BufferSource* out);
};
template <typename T>
struct Converter<T*, std::enable_if_t<std::is_base_of_v<Wrappable, T>>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, T** out) {
    *out = Wrappable::unwrap<T>(v);
    if (*out) return true;
    cx.realm.throwError(argError(cx, std::string("is not of type '") + T::kType.name + "'."));
    return false;
  }
};
template <typename T>
struct Converter<std::optional<T>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, std::optional<T>* out) {
    if (v->IsUndefined()) {
      out->reset();
      return true;
    }
    T value{};
    if (!Converter<T>::from(cx, v, &value)) return false;
    *out = std::move(value);
    return true;
  }
};
template <typename T>
struct Converter<Nullable<T>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, Nullable<T>* out) {
    if (v->IsNullOrUndefined()) {
      out->reset();
      return true;
    }
    T value{};
    if (!Converter<T>::from(cx, v, &value)) return false;
    *out = std::move(value);
    return true;
  }
};
// sequence<T>: an iterable object, through its @@iterator.
template <typename T>
struct Converter<std::vector<T>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, std::vector<T>* out) {
    v8::Local<v8::Function> method;
    if (v->IsObject() && !getIteratorMethod(cx.realm, v.As<v8::Object>(), &method)) return false;
    if (method.IsEmpty()) {
      cx.realm.throwError(argError(cx, "cannot be converted to a sequence."));
      return false;
    }
    return fromIterable(cx, v, method, out);
  }
  // With @@iterator already read (union resolution reads it once).
  static bool fromIterable(const ArgContext& cx, v8::Local<v8::Value> v,
                           v8::Local<v8::Function> method, std::vector<T>* out) {
    out->clear();
    return iterate(cx.realm, v, method, [&](v8::Local<v8::Value> item) {
      T value{};
      if (!Converter<T>::from(cx, item, &value)) return false;
      out->push_back(std::move(value));
      return true;
    });
  }
};
// record<K, V>: own enumerable keys in [[OwnPropertyKeys]] order, each key's descriptor read
// just before its value (an enumerable Symbol key fails K's conversion, as WebIDL says).
template <typename K, typename V>
struct Converter<Record<K, V>> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, Record<K, V>* out) {
    if (!v->IsObject()) {
      cx.realm.throwError(
          argError(cx, "is not of type '" + detail::typeName<Record<K, V>>() + "'."));
      return false;
    }
    v8::Local<v8::Object> obj = v.As<v8::Object>();
    out->entries.clear();
    // Two keys may convert to the same string (lone surrogates in a USVString): the later
    // value replaces the earlier one in place.
    std::unordered_map<std::string, size_t> seen;
    auto onKey = [&](v8::Local<v8::Value> key) {
      K typedKey{};
      v8::Local<v8::Value> value;
      V typedValue{};
      if (!Converter<K>::from(cx, key, &typedKey) ||
          !obj->Get(cx.realm.context(), key).ToLocal(&value) ||
          !Converter<V>::from(cx, value, &typedValue)) {
        return false;
      }
      const std::string& text = keyText(typedKey);
      auto [it, fresh] = seen.emplace(text, out->entries.size());
      if (fresh) {
        out->entries.emplace_back(std::move(typedKey), std::move(typedValue));
      } else {
        out->entries[it->second].second = std::move(typedValue);
      }
      return true;
    };
    using Fn = decltype(onKey);
    return detail::forEachEnumerableOwnKey(
        cx.realm, obj, &onKey,
        [](void* s, v8::Local<v8::Value> key) { return (*static_cast<Fn*>(s))(key); });
  }
  static const std::string& keyText(const std::string& k) { return k; }
  static const std::string& keyText(const ByteString& k) { return k.value; }
};
template <detail::IdlEnum E>
struct Converter<E> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, E* out) {
    std::string s;
    if (!Converter<std::string>::from(cx, v, &s)) return false;
    const auto& values = EnumValues<E>::kValues;
    for (size_t i = 0; i < std::size(values); ++i) {
      if (values[i] == s) {
        *out = static_cast<E>(i);
        return true;
      }
    }
    cx.realm.throwError(contextError(cx, "The provided value '" + s +
                                             "' is not a valid enum value of type " +
                                             EnumValues<E>::kName + "."));
    return false;
  }
};

namespace detail {

// A dictionary's members in the spec's order: names sorted by code unit.
template <typename D>
constexpr auto memberOrder() {
  constexpr auto members = D::members();
  constexpr size_t n = std::tuple_size_v<decltype(members)>;
  std::array<const char*, n> names{};
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((names[I] = std::get<I>(members).name), ...);
  }(std::make_index_sequence<n>());
  std::array<size_t, n> order{};
  for (size_t i = 0; i < n; ++i) order[i] = i;
  for (size_t i = 1; i < n; ++i) {  // insertion sort: n is small, and constexpr-friendly
    for (size_t j = i; j > 0 && std::string_view(names[order[j]]) <
                                    std::string_view(names[order[j - 1]]);
         --j) {
      std::swap(order[j], order[j - 1]);
    }
  }
  return order;
}

template <typename D, size_t J>
bool convertMember(const ArgContext& cx, v8::Local<v8::Value> dict, D* out) {
  constexpr auto m = std::get<J>(D::members());
  Realm& realm = cx.realm;
  v8::Local<v8::Value> value = v8::Undefined(realm.isolate());
  if (dict->IsObject() &&
      !dict.As<v8::Object>()->Get(realm.context(), realm.internalized(m.name)).ToLocal(&value)) {
    return false;
  }
  ArgContext inner{realm, cx.className, m.name, 0, false, &cx, D::kName};
  if (value->IsUndefined()) {
    if (!m.required) return true;  // the default stays
    realm.throwError(contextError(inner, "Required member is undefined."));
    return false;
  }
  using M = Bare<decltype(out->*(m.pointer))>;
  return Converter<M>::from(inner, value, &(out->*(m.pointer)));
}

template <typename D>
bool convertDictionary(const ArgContext& cx, v8::Local<v8::Value> v, D* out) {
  if constexpr (requires { typename D::Inherits; }) {
    if (!convertDictionary<typename D::Inherits>(cx, v, out)) return false;
  }
  static constexpr auto kOrder = memberOrder<D>();
  return [&]<size_t... I>(std::index_sequence<I...>) {
    return (... && convertMember<D, kOrder[I]>(cx, v, out));
  }(std::make_index_sequence<kOrder.size()>());
}

}  // namespace detail

// A dictionary: undefined and null give every default.
template <detail::Dictionary D>
struct Converter<D> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, D* out) {
    if (!v->IsNullOrUndefined() && !v->IsObject()) {
      cx.realm.throwError(argError(cx, std::string("is not of type '") + D::kName + "'."));
      return false;
    }
    return detail::convertDictionary(cx, v, out);
  }
};

// A union, resolved in WebIDL's order: null/undefined to a dictionary; an object to the
// first interface it implements, then BufferSource, callback function, sequence (if it has
// @@iterator), dictionary, record, callback interface, object; a boolean, number or bigint
// to its own type; then string, numeric, boolean, bigint by conversion.
template <typename... Ts>
struct Converter<std::variant<Ts...>> {
  using V = std::variant<Ts...>;
  static_assert(((detail::kindOf<Ts>() != detail::IdlKind::kOther) && ...),
                "a union member type has no WebIDL union resolution (any, optional?)");
  static constexpr size_t kNone = sizeof...(Ts);
  template <detail::IdlKind K>
  static constexpr size_t first() {
    size_t found = kNone, i = 0;
    ((found == kNone && detail::kindOf<Ts>() == K ? found = i : 0, ++i), ...);
    return found;
  }
  template <detail::IdlKind K>
  static constexpr bool kHas = first<K>() != kNone;

  template <size_t I>
  static bool as(const ArgContext& cx, v8::Local<v8::Value> v, V* out) {
    std::variant_alternative_t<I, V> value{};
    if (!Converter<std::variant_alternative_t<I, V>>::from(cx, v, &value)) return false;
    out->template emplace<I>(std::move(value));
    return true;
  }
  // The first interface alternative v implements.
  static bool asInterface(v8::Local<v8::Value> v, V* out) {
    return [&]<size_t... I>(std::index_sequence<I...>) {
      return (... || tryInterface<I>(v, out));
    }(std::index_sequence_for<Ts...>());
  }
  template <size_t I>
  static bool tryInterface(v8::Local<v8::Value> v, V* out) {
    using A = std::variant_alternative_t<I, V>;
    if constexpr (detail::WrappablePointer<A>) {
      if (A p = Wrappable::unwrap<std::remove_pointer_t<A>>(v)) {
        out->template emplace<I>(p);
        return true;
      }
    }
    return false;
  }

  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, V* out) {
    using K = detail::IdlKind;
    if constexpr (kHas<K::kDictionary>) {
      if (v->IsNullOrUndefined()) return as<first<K::kDictionary>()>(cx, v, out);
    }
    if (v->IsObject()) {
      if (asInterface(v, out)) return true;
      if (v->IsArrayBuffer() || v->IsArrayBufferView()) {
        if constexpr (kHas<K::kBufferSource>) return as<first<K::kBufferSource>()>(cx, v, out);
        if constexpr (kHas<K::kObject>) return as<first<K::kObject>()>(cx, v, out);
      }
      if constexpr (kHas<K::kCallbackFunction>) {
        if (v->IsFunction()) return as<first<K::kCallbackFunction>()>(cx, v, out);
      }
      if constexpr (kHas<K::kSequence>) {
        v8::Local<v8::Function> method;
        if (!getIteratorMethod(cx.realm, v.As<v8::Object>(), &method)) return false;
        if (!method.IsEmpty()) {
          constexpr size_t I = first<K::kSequence>();
          std::variant_alternative_t<I, V> value;
          if (!Converter<decltype(value)>::fromIterable(cx, v, method, &value)) return false;
          out->template emplace<I>(std::move(value));
          return true;
        }
      }
      if constexpr (kHas<K::kDictionary>) return as<first<K::kDictionary>()>(cx, v, out);
      if constexpr (kHas<K::kRecord>) return as<first<K::kRecord>()>(cx, v, out);
      if constexpr (kHas<K::kCallbackInterface>) {
        return as<first<K::kCallbackInterface>()>(cx, v, out);
      }
      if constexpr (kHas<K::kObject>) return as<first<K::kObject>()>(cx, v, out);
    }
    if constexpr (kHas<K::kBoolean>) {
      if (v->IsBoolean()) return as<first<K::kBoolean>()>(cx, v, out);
    }
    if constexpr (kHas<K::kNumeric>) {
      if (v->IsNumber()) return as<first<K::kNumeric>()>(cx, v, out);
    }
    if constexpr (kHas<K::kBigInt>) {
      if (v->IsBigInt()) return as<first<K::kBigInt>()>(cx, v, out);
    }
    if constexpr (kHas<K::kString>) return as<first<K::kString>()>(cx, v, out);
    if constexpr (kHas<K::kNumeric>) return as<first<K::kNumeric>()>(cx, v, out);
    if constexpr (kHas<K::kBoolean>) return as<first<K::kBoolean>()>(cx, v, out);
    if constexpr (kHas<K::kBigInt>) return as<first<K::kBigInt>()>(cx, v, out);
    cx.realm.throwError(argError(cx, "is not of type '" + detail::typeName<V>() + "'."));
    return false;
  }
};

namespace detail {
template <typename T>
std::string typeName() {
  if constexpr (std::is_same_v<T, bool>) return "boolean";
  else if constexpr (std::is_same_v<T, double>) return "unrestricted double";
  else if constexpr (Integer<T>) return intSpec<T>().name;
  else if constexpr (std::is_same_v<T, std::string>) return "DOMString";
  else if constexpr (std::is_same_v<T, ByteString>) return "ByteString";
  else if constexpr (std::is_same_v<T, BufferSource>) return "BufferSource";
  else if constexpr (std::is_same_v<T, v8::Local<v8::Function>>) return "Function";
  else if constexpr (std::is_same_v<T, v8::Local<v8::Object>> ||
                     std::is_same_v<T, CallbackInterface>)
    return "object";
  else if constexpr (std::is_same_v<T, v8::Local<v8::BigInt>>) return "bigint";
  else if constexpr (WrappablePointer<T>) return std::remove_pointer_t<T>::kType.name;
  else if constexpr (Dictionary<T>) return T::kName;
  else if constexpr (IdlEnum<T>) return EnumValues<T>::kName;
  else if constexpr (IsVector<T>::value) {
    return "sequence<" + typeName<typename T::value_type>() + ">";
  } else if constexpr (IsRecord<T>::value) {
    using P = typename decltype(T::entries)::value_type;
    return "record<" + typeName<typename P::first_type>() + ", " +
           typeName<typename P::second_type>() + ">";
  } else if constexpr (IsNullable<T>::value || IsOptional<T>::value) {
    return typeName<typename T::value_type>() + (IsNullable<T>::value ? "?" : "");
  } else if constexpr (IsVariant<T>::value) {
    std::string s = "(";
    [&]<typename... A>(std::variant<A...>*) {
      ((s += (s.size() > 1 ? " or " : "") + typeName<A>()), ...);
    }(static_cast<T*>(nullptr));
    return s + ")";
  } else {
    return "any";
  }
}
}  // namespace detail

// ---- return conversion ----

inline v8::Local<v8::Value> toJs(Realm& realm, v8::Local<v8::Value> v) { return v; }
template <typename T>
inline v8::Local<v8::Value> toJs(Realm& realm, v8::Local<T> v) { return v; }
inline v8::Local<v8::Value> toJs(Realm& realm, bool v) {
  return v8::Boolean::New(realm.isolate(), v);
}
inline v8::Local<v8::Value> toJs(Realm& realm, double v) {
  return v8::Number::New(realm.isolate(), v);
}
// Integers as Numbers (a 64-bit one beyond 2^53 as the closest double, as WebIDL says).
template <detail::Integer I>
v8::Local<v8::Value> toJs(Realm& realm, I v) {
  if constexpr (std::is_signed_v<I> && sizeof(I) <= 4) return v8::Integer::New(realm.isolate(), v);
  else if constexpr (sizeof(I) <= 4) return v8::Integer::NewFromUnsigned(realm.isolate(), v);
  else return v8::Number::New(realm.isolate(), double(v));
}
v8::Local<v8::Value> toJs(Realm& realm, std::string_view v);  // UTF-8 -> String
inline v8::Local<v8::Value> toJs(Realm& realm, const std::string& v) {
  return toJs(realm, std::string_view(v));
}
inline v8::Local<v8::Value> toJs(Realm& realm, const char* v) {
  return toJs(realm, std::string_view(v));
}
v8::Local<v8::Value> toJs(Realm& realm, const ByteString& v);  // Latin-1 -> String
inline v8::Local<v8::Value> toJs(Realm& realm, const CallbackInterface& v) { return v.object; }
template <typename T>
v8::Local<v8::Value> toJs(Realm& realm, const std::optional<T>& v);
template <typename I>
v8::Local<v8::Value> toJs(Realm& realm, const EnforceRange<I>& v);
template <typename I>
v8::Local<v8::Value> toJs(Realm& realm, const Clamp<I>& v);
template <typename T, typename = std::enable_if_t<std::is_base_of_v<Wrappable, T>>>
v8::Local<v8::Value> toJs(Realm& realm, T* obj);
template <typename T>
v8::Local<v8::Value> toJs(Realm& realm, const std::vector<T>& v);
template <typename K, typename V>
v8::Local<v8::Value> toJs(Realm& realm, const Record<K, V>& v);
template <detail::IdlEnum E>
v8::Local<v8::Value> toJs(Realm& realm, E v);
template <detail::Dictionary D>
v8::Local<v8::Value> toJs(Realm& realm, const D& v);
template <typename... Ts>
v8::Local<v8::Value> toJs(Realm& realm, const std::variant<Ts...>& v);

template <typename T>
v8::Local<v8::Value> toJs(Realm& realm, const std::optional<T>& v) {
  if (!v) return v8::Null(realm.isolate());
  return toJs(realm, *v);
}
template <typename I>
v8::Local<v8::Value> toJs(Realm& realm, const EnforceRange<I>& v) {
  return toJs(realm, v.value);
}
template <typename I>
v8::Local<v8::Value> toJs(Realm& realm, const Clamp<I>& v) {
  return toJs(realm, v.value);
}
template <typename T, typename>
v8::Local<v8::Value> toJs(Realm& realm, T* obj) {
  if (!obj) return v8::Null(realm.isolate());
  return obj->wrapper(realm.isolate());
}
template <typename T>
v8::Local<v8::Value> toJs(Realm& realm, const std::vector<T>& v) {
  std::vector<v8::Local<v8::Value>> items;
  items.reserve(v.size());
  for (const auto& item : v) items.push_back(toJs(realm, item));
  return v8::Array::New(realm.isolate(), items.data(), items.size());
}
template <typename K, typename V>
v8::Local<v8::Value> toJs(Realm& realm, const Record<K, V>& v) {
  v8::Local<v8::Context> ctx = realm.context();
  v8::Local<v8::Object> obj = v8::Object::New(realm.isolate());
  for (const auto& [key, value] : v.entries) {
    obj->CreateDataProperty(ctx, toJs(realm, key).template As<v8::Name>(), toJs(realm, value))
        .Check();
  }
  return obj;
}
template <detail::IdlEnum E>
v8::Local<v8::Value> toJs(Realm& realm, E v) {
  return toJs(realm, EnumValues<E>::kValues[size_t(v)]);
}
namespace detail {
template <typename D>
void dictionaryToJs(Realm& realm, const D& v, v8::Local<v8::Object> obj) {
  if constexpr (requires { typename D::Inherits; }) {
    dictionaryToJs<typename D::Inherits>(realm, v, obj);
  }
  static constexpr auto kOrder = memberOrder<D>();
  [&]<size_t... I>(std::index_sequence<I...>) {
    (
        [&] {
          constexpr auto m = std::get<kOrder[I]>(D::members());
          const auto& value = v.*(m.pointer);
          if constexpr (IsOptional<Bare<decltype(value)>>::value) {
            if (!value) return;
          }
          obj->CreateDataProperty(realm.context(), realm.internalized(m.name),
                                  toJs(realm, value))
              .Check();
        }(),
        ...);
  }(std::make_index_sequence<kOrder.size()>());
}
}  // namespace detail
template <detail::Dictionary D>
v8::Local<v8::Value> toJs(Realm& realm, const D& v) {
  v8::Local<v8::Object> obj = v8::Object::New(realm.isolate());
  detail::dictionaryToJs(realm, v, obj);
  return obj;
}
template <typename... Ts>
v8::Local<v8::Value> toJs(Realm& realm, const std::variant<Ts...>& v) {
  return std::visit([&](const auto& x) { return toJs(realm, x); }, v);
}

// ---- the builder ----

template <typename T>
class ClassBuilder;
template <typename T>
v8::Local<v8::FunctionTemplate> classTemplate(Realm& realm);

// The state of one async iterator (WebIDL "default asynchronous iterator object"), handed
// to the iterable's next-value function: how many values it produced, and one JS value the
// iterable may keep there (a reader, a cursor), traced by the GC.
class AsyncIteration : public Wrappable {
 public:
  static constexpr WrapperType kType{"AsyncIterator"};
  uint64_t index() const { return index_; }
  v8::Local<v8::Value> state(Realm& realm) const { return traced(realm, kStateSlot); }
  void setState(Realm& realm, v8::Local<v8::Value> v) { setTraced(realm, kStateSlot, v); }
  // The value that, returned or resolved by the next-value function, ends the iteration.
  static v8::Local<v8::Value> end(Realm& realm) { return realm.endOfIteration(); }
  // Traced slots of the iterator's wrapper: the iterable, the ongoing promise, state().
  enum : int { kTargetSlot = 0, kOngoingSlot = 1, kStateSlot = 2 };

 protected:
  using Step = JsResult<v8::Local<v8::Value>> (*)(Realm&, AsyncIteration&);
  explicit AsyncIteration(Step step) : step_(step) {}
  // next(): queued after the previous call's promise, as WebIDL's ongoing promise.
  v8::Local<v8::Value> next(Realm& realm);

 private:
  v8::Local<v8::Promise> nextSteps(Realm& realm);
  static void runNextSteps(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void onFulfilled(const v8::FunctionCallbackInfo<v8::Value>& info);
  static void onRejected(const v8::FunctionCallbackInfo<v8::Value>& info);
  Step step_;
  uint64_t index_ = 0;
  bool finished_ = false;
};

namespace detail {

// Too few arguments: "Failed to execute 'append' on 'Headers': 2 arguments required, but
// only 1 present."
JsError arityError(const ArgContext& cx, int required, int present);
// Overloads by argument count: none takes that many.
JsError noOverloadError(const ArgContext& cx);

template <typename F>
struct Signature;
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(Realm&, A...)> {
  using Class = C;
  using Return = R;
  using Args = std::tuple<Bare<A>...>;
  static constexpr bool kMember = true;
};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(Realm&, A...) const> : Signature<R (C::*)(Realm&, A...)> {};
template <typename R, typename... A>
struct Signature<R (*)(Realm&, A...)> {
  using Return = R;
  using Args = std::tuple<Bare<A>...>;
  static constexpr bool kMember = false;
};

// Trailing optional arguments and dictionaries may be left out; the rest are required
// (WebIDL: the function's `length`).
template <typename T>
constexpr bool kMayOmit = IsOptional<T>::value || Dictionary<T>;
template <auto fn>
constexpr int requiredArgs() {
  using Args = typename Signature<decltype(fn)>::Args;
  int required = 0;
  [&]<size_t... I>(std::index_sequence<I...>) {
    ((kMayOmit<std::tuple_element_t<I, Args>> ? 0 : required = int(I) + 1), ...);
  }(std::make_index_sequence<std::tuple_size_v<Args>>());
  return required;
}
template <auto fn>
constexpr int maxArgs() {
  return int(std::tuple_size_v<typename Signature<decltype(fn)>::Args>);
}

template <typename Tuple, size_t... I>
bool convertArgs(const ArgContext& base, const v8::FunctionCallbackInfo<v8::Value>& info,
                 Tuple& args, std::index_sequence<I...>) {
  [[maybe_unused]] v8::Local<v8::Value> undefined = v8::Undefined(info.GetIsolate());
  return (... && [&] {
    ArgContext cx = base;
    cx.index = base.setter ? 0 : int(I) + 1;
    return Converter<std::tuple_element_t<I, Tuple>>::from(
        cx, int(I) < info.Length() ? info[int(I)] : undefined, &std::get<I>(args));
  }());
}

// Sets the return value from R, JsResult<R> or JsResult<void>, or throws the error.
template <typename R>
void setReturn(Realm& realm, const v8::FunctionCallbackInfo<v8::Value>& info, R&& r) {
  if constexpr (requires { r.ok(); r.error(); }) {
    if (!r.ok()) {
      throwError(realm.isolate(), r.error());
      return;
    }
    if constexpr (!std::is_same_v<Bare<R>, JsResult<void>>) {
      info.GetReturnValue().Set(toJs(realm, r.value()));
    }
  } else {
    info.GetReturnValue().Set(toJs(realm, std::forward<R>(r)));
  }
}

// Converts info's arguments, calls fn (on self for a member function) and hands its result
// to done (a JsResult<void> for a void fn).
template <auto fn, typename Self, typename Done>
void callConverted(const ArgContext& base, const v8::FunctionCallbackInfo<v8::Value>& info,
                   Self* self, Done&& done) {
  using Sig = Signature<decltype(fn)>;
  typename Sig::Args args;
  if (!convertArgs(base, info, args, std::make_index_sequence<std::tuple_size_v<decltype(args)>>()))
    return;
  Realm& realm = base.realm;
  // Called through a copy: naming a private fn here would need friendship.
  constexpr auto f = fn;
  auto call = [&](auto&&... a) -> decltype(auto) {
    if constexpr (Sig::kMember) {
      return (static_cast<typename Sig::Class*>(self)->*f)(realm, std::move(a)...);
    } else {
      return f(realm, std::move(a)...);
    }
  };
  if constexpr (std::is_void_v<typename Sig::Return>) {
    std::apply(call, args);
    done(JsResult<void>());
  } else {
    done(std::apply(call, args));
  }
}

// WebIDL overload resolution by argument count: n = min(longest, given); the first overload
// taking n arguments runs.
template <auto... fns, typename Self, typename Done>
void dispatch(const ArgContext& base, const v8::FunctionCallbackInfo<v8::Value>& info,
              Self* self, Done&& done) {
  constexpr int longest = std::max({maxArgs<fns>()...});
  const int n = std::min(longest, info.Length());
  bool called = false;
  ((!called && requiredArgs<fns>() <= n && n <= maxArgs<fns>()
        ? (called = true, callConverted<fns>(base, info, self, done), 0)
        : 0),
   ...);
  if (called) return;
  constexpr int fewest = std::min({requiredArgs<fns>()...});
  base.realm.throwError(n < fewest ? arityError(base, fewest, info.Length())
                                   : noOverloadError(base));
}

// A promise-returning operation's end: an exception caught by tc rejects the promise; a
// returned value resolves it (a returned promise is the result as is).
void settlePromise(const v8::FunctionCallbackInfo<v8::Value>& info, v8::TryCatch& tc);
// {value, done}.
v8::Local<v8::Object> iteratorResult(Realm& realm, v8::Local<v8::Value> value, bool done);
// Sets the [[Prototype]] of tmpl's prototype object to an intrinsic (%IteratorPrototype%),
// and removes its `constructor` (iterator prototypes have none). Instantiates tmpl.
void setPrototypeToIntrinsic(Realm& realm, v8::Local<v8::FunctionTemplate> tmpl,
                             v8::Intrinsic intrinsic);

constexpr size_t cstrlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
// "<Class name><suffix>" as a constant, for the iterator classes' type tags.
template <typename T, size_t SuffixLength>
constexpr auto suffixedName(const char (&suffix)[SuffixLength]) {
  constexpr size_t n = cstrlen(T::kType.name);
  std::array<char, n + SuffixLength> out{};
  for (size_t i = 0; i < n; ++i) out[i] = T::kType.name[i];
  for (size_t i = 0; i < SuffixLength; ++i) out[n + i] = suffix[i];
  return out;
}
template <typename T>
struct IteratorNames {
  static constexpr auto kSync = suffixedName<T>(" Iterator");
  static constexpr auto kAsync = suffixedName<T>(" AsyncIterator");
};

// The default iterator object of a pair iterable
// (https://webidl.spec.whatwg.org/#es-default-iterator-object): live, it reads pair `index` of its
// target at each next(), so it sees changes made while iterating. Its target is traced on its
// wrapper.
template <typename T, auto pairAt>
class PairIterator : public Wrappable {
 public:
  static constexpr WrapperType kType{IteratorNames<T>::kSync.data()};
  enum Kind : int { kEntries, kKeys, kValues };
  static void describe(ClassBuilder<PairIterator>& c) {
    c.template method<&PairIterator::next>("next");
    setPrototypeToIntrinsic(c.realm(), c.tmpl(), v8::kIteratorPrototype);
  }
  explicit PairIterator(Kind kind) : kind_(kind) {}

  JsResult<v8::Local<v8::Value>> next(Realm& realm) {
    v8::Local<v8::Value> target = traced(realm, 0);
    T* t = Wrappable::unwrap<T>(target);
    if (!t) return Wrappable::receiverError(target, &T::kType);
    auto pair = (t->*pairAt)(realm, index_);
    if (!pair) return iteratorResult(realm, v8::Undefined(realm.isolate()), true).As<v8::Value>();
    ++index_;
    v8::Local<v8::Value> value;
    if (kind_ == kKeys) {
      value = toJs(realm, pair->first);
    } else if (kind_ == kValues) {
      value = toJs(realm, pair->second);
    } else {
      v8::Local<v8::Value> both[] = {toJs(realm, pair->first), toJs(realm, pair->second)};
      value = v8::Array::New(realm.isolate(), both, 2);
    }
    return iteratorResult(realm, value, false).As<v8::Value>();
  }

 private:
  Kind kind_;
  size_t index_ = 0;
};

template <typename T, auto nextValue>
class AsyncIterator : public AsyncIteration {
 public:
  static constexpr WrapperType kType{IteratorNames<T>::kAsync.data(), &AsyncIteration::kType};
  static void describe(ClassBuilder<AsyncIterator>& c) {
    c.template promiseMethod<&AsyncIterator::jsNext>("next");
    setPrototypeToIntrinsic(c.realm(), c.tmpl(), v8::kAsyncIteratorPrototype);
  }
  AsyncIterator() : AsyncIteration(&step) {}
  v8::Local<v8::Value> jsNext(Realm& realm) { return next(realm); }

 private:
  static JsResult<v8::Local<v8::Value>> step(Realm& realm, AsyncIteration& it) {
    v8::Local<v8::Value> target = it.traced(realm, kTargetSlot);
    T* t = Wrappable::unwrap<T>(target);
    if (!t) return Wrappable::receiverError(target, &T::kType);
    return (t->*nextValue)(realm, it);
  }
};

}  // namespace detail

template <typename T>
v8::Local<v8::Object> wrap(Realm& realm, T* native);

template <typename T>
class ClassBuilder {
 public:
  ClassBuilder(Realm& realm, v8::Local<v8::FunctionTemplate> tmpl)
      : realm_(realm), tmpl_(tmpl) {}

  // static JsResult<T*> construct(Realm&, Args...): called for `new Class(...)`; the
  // returned object is attached to the new wrapper, then told so by obj->attached(realm) if
  // T has that member. Several: overloads by argument count.
  // Without a constructor, `new` throws ("Illegal constructor"), and natives are created
  // with wrap().
  //   c.constructor<&Headers::construct>();
  template <auto... fns>
  void constructor() {
    tmpl_->SetCallHandler(&constructCallback<fns...>);
    tmpl_->SetLength(std::min({detail::requiredArgs<fns>()...}));
  }

  // Makes T's interface inherit P's (prototype chain and interface object); T::kType.parent
  // must be &P::kType. P's methods then work on T's instances.
  //   c.inherit<Blob>();
  template <typename P>
  void inherit() {
    static_assert(std::is_base_of_v<P, T>, "T must derive from P");
    static_assert(T::kType.parent == &P::kType, "T::kType.parent must be &P::kType");
    parent_ = classTemplate<P>(realm_);
    tmpl_->Inherit(parent_);
  }

  // R (T::*)(Realm&, Args...): a regular operation on the prototype (enumerable, `length`
  // its required argument count). Several: overloads by argument count.
  //   c.method<&Headers::append>("append");
  //   c.method<&Canvas::fill0, &Canvas::fill2>("fill");
  template <auto... fns>
  void method(const char* name) {
    proto()->Set(realm_.internalized(name),
                 functionTemplate(&methodCallback<fns...>, name, fewestArgs<fns...>(), true),
                 v8::None);
  }
  // R (*)(Realm&, Args...): a static operation on the interface object.
  //   c.staticMethod<&Response::json>("json");
  template <auto... fns>
  void staticMethod(const char* name) {
    tmpl_->Set(realm_.internalized(name),
               functionTemplate(&staticCallback<fns...>, name, fewestArgs<fns...>(), false),
               v8::None);
  }
  // A promise-returning operation: every failure (wrong `this`, too few arguments, a failed
  // conversion, a JsError or a JS exception) rejects the returned promise, never throws. fn
  // returns a promise (as is) or a value (resolved with it).
  //   c.promiseMethod<&Body::text>("text");
  template <auto fn>
  void promiseMethod(const char* name) {
    proto()->Set(realm_.internalized(name),
                 functionTemplate(&promiseCallback<fn>, name, detail::requiredArgs<fn>(), false),
                 v8::None);
  }
  //   c.staticPromiseMethod<&Cache::open>("open");
  template <auto fn>
  void staticPromiseMethod(const char* name) {
    tmpl_->Set(realm_.internalized(name),
               functionTemplate(&staticPromiseCallback<fn>, name, detail::requiredArgs<fn>(),
                                false),
               v8::None);
  }
  // R (T::*)(Realm&) const: a read-only attribute (an enumerable accessor on the prototype).
  //   c.getter<&Response::status>("status");
  template <auto get>
  void getter(const char* name) {
    proto()->SetAccessorProperty(realm_.internalized(name), getterTemplate<get>(name), {},
                                 v8::None);
  }
  // A read-write attribute; the setter is R (T::*)(Realm&, V) and its value converts through
  // Converter<V> ("Failed to set the 'x' property on 'T': The provided value ...").
  //   c.accessor<&Point::x, &Point::setX>("x");
  template <auto get, auto set>
  void accessor(const char* name) {
    proto()->SetAccessorProperty(realm_.internalized(name), getterTemplate<get>(name),
                                 setterTemplate<set>(name), v8::None);
  }
  // Static attributes, on the interface object: R (*)(Realm&) and R (*)(Realm&, V).
  //   c.staticGetter<&Clock::now>("now");
  template <auto get>
  void staticGetter(const char* name) {
    tmpl_->SetAccessorProperty(realm_.internalized(name), getterTemplate<get>(name), {},
                               v8::None);
  }
  //   c.staticAccessor<&Config::level, &Config::setLevel>("level");
  template <auto get, auto set>
  void staticAccessor(const char* name) {
    tmpl_->SetAccessorProperty(realm_.internalized(name), getterTemplate<get>(name),
                               setterTemplate<set>(name), v8::None);
  }
  // A constant (a number, boolean or string) on the interface object and the prototype:
  // enumerable, read-only, not configurable.
  //   c.constant("CLOSED", 2);
  template <typename V>
  void constant(const char* name, V value) {
    auto attributes = static_cast<v8::PropertyAttribute>(v8::ReadOnly | v8::DontDelete);
    v8::Local<v8::Value> v = toJs(realm_, value);
    tmpl_->Set(realm_.internalized(name), v, attributes);
    proto()->Set(realm_.internalized(name), v, attributes);
  }
  // Symbol.iterator, and `name` unless null, are the method fn (a hand-made iterator; for
  // pair iterables prefer pairIterable).
  //   c.iterable<&Iter::self>(nullptr);
  template <auto fn>
  void iterable(const char* name) {
    auto t = functionTemplate(&methodCallback<fn>, name ? name : "[Symbol.iterator]", 0, true);
    if (name) proto()->Set(realm_.internalized(name), t, v8::None);
    proto()->Set(v8::Symbol::GetIterator(realm_.isolate()), t, v8::DontEnum);
  }
  // A pair iterable (`iterable<K, V>`), declared by one function giving the pair at an index
  // of the live list, or nullopt past its end:
  //   std::optional<std::pair<K, V>> (T::*)(Realm&, size_t index)
  // gives entries, keys, values, forEach and @@iterator (=== entries), with iterators of
  // the %<Name> Iterator% prototype.
  //   c.pairIterable<&Headers::pairAt>();
  template <auto pairAt>
  void pairIterable() {
    using It = detail::PairIterator<T, pairAt>;
    auto entries =
        functionTemplate(&pairIteratorCallback<pairAt, It::kEntries>, "entries", 0, true);
    proto()->Set(realm_.internalized("entries"), entries, v8::None);
    proto()->Set(realm_.internalized("keys"),
                 functionTemplate(&pairIteratorCallback<pairAt, It::kKeys>, "keys", 0, true),
                 v8::None);
    proto()->Set(realm_.internalized("values"),
                 functionTemplate(&pairIteratorCallback<pairAt, It::kValues>, "values", 0, true),
                 v8::None);
    proto()->Set(realm_.internalized("forEach"),
                 functionTemplate(&forEachCallback<pairAt>, "forEach", 1, true), v8::None);
    proto()->Set(v8::Symbol::GetIterator(realm_.isolate()), entries, v8::DontEnum);
  }
  // A value async iterable (`async iterable<V>`), declared by its next-value function:
  //   JsResult<v8::Local<v8::Value>> (T::*)(Realm&, AsyncIteration&)
  // returning the next value, a promise of it, or AsyncIteration::end(realm) (also as a
  // promise's value) to finish. Gives values() and @@asyncIterator, whose iterators' next()
  // returns a promise of {value, done} and runs one call at a time.
  //   c.asyncIterable<&Stream::nextChunk>();
  template <auto nextValue>
  void asyncIterable() {
    auto values =
        functionTemplate(&asyncIteratorCallback<nextValue>, "values", 0, true);
    proto()->Set(realm_.internalized("values"), values, v8::None);
    proto()->Set(v8::Symbol::GetAsyncIterator(realm_.isolate()), values, v8::DontEnum);
  }

  v8::Local<v8::FunctionTemplate> tmpl() { return tmpl_; }
  Realm& realm() { return realm_; }
  // The inherited interface's template (empty without inherit()).
  v8::Local<v8::FunctionTemplate> parent() { return parent_; }

 private:
  v8::Local<v8::ObjectTemplate> proto() { return tmpl_->PrototypeTemplate(); }
  template <auto... fns>
  static constexpr int fewestArgs() {
    return std::min({detail::requiredArgs<fns>()...});
  }
  // The member's name rides along as the callback data, for error messages.
  v8::Local<v8::Value> nameData(const char* name) {
    return v8::External::New(realm_.isolate(), const_cast<char*>(name));
  }
  static const char* memberName(const v8::FunctionCallbackInfo<v8::Value>& info) {
    return static_cast<const char*>(info.Data().As<v8::External>()->Value());
  }
  // checkReceiver: V8 rejects a `this` that is not a T ("Illegal invocation") before the
  // callback runs. Promise operations check it themselves, to reject instead.
  v8::Local<v8::FunctionTemplate> functionTemplate(v8::FunctionCallback callback,
                                                   const char* name, int length,
                                                   bool checkReceiver) {
    return v8::FunctionTemplate::New(
        realm_.isolate(), callback, nameData(name),
        checkReceiver ? v8::Signature::New(realm_.isolate(), tmpl_) : v8::Local<v8::Signature>(),
        length, v8::ConstructorBehavior::kThrow);
  }
  // WebIDL names accessor functions "get x" and "set x".
  v8::Local<v8::String> accessorName(const char* prefix, const char* name) {
    return v8::String::Concat(realm_.isolate(), realm_.internalized(prefix),
                              realm_.internalized(name));
  }
  template <auto get>
  v8::Local<v8::FunctionTemplate> getterTemplate(const char* name) {
    v8::Local<v8::FunctionTemplate> t;
    if constexpr (detail::Signature<decltype(get)>::kMember) {
      t = functionTemplate(&methodCallback<get>, name, 0, true);
    } else {
      t = functionTemplate(&staticCallback<get>, name, 0, false);
    }
    t->SetClassName(accessorName("get ", name));
    return t;
  }
  template <auto set>
  v8::Local<v8::FunctionTemplate> setterTemplate(const char* name) {
    static_assert(detail::maxArgs<set>() == 1, "a setter takes (Realm&, value)");
    auto t = functionTemplate(&setterCallback<set>, name, 1,
                              detail::Signature<decltype(set)>::kMember);
    t->SetClassName(accessorName("set ", name));
    return t;
  }

  static ArgContext context(Realm& realm, const v8::FunctionCallbackInfo<v8::Value>& info) {
    return ArgContext{realm, T::kType.name, memberName(info), 0};
  }
  // The T behind `this`, or nullptr with a TypeError thrown.
  static T* self(Realm& realm, const v8::FunctionCallbackInfo<v8::Value>& info) {
    T* self = Wrappable::unwrap<T>(info.This());
    if (!self) realm.throwError(Wrappable::receiverError(info.This(), &T::kType));
    return self;
  }

  template <auto... fns>
  static void constructCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    if (!info.IsConstructCall()) {
      realm.throwError(JsError::type(std::string("Failed to construct '") + T::kType.name +
                                     "': Please use the 'new' operator."));
      return;
    }
    ArgContext base{realm, T::kType.name, "constructor", 0};
    detail::dispatch<fns...>(base, info, static_cast<T*>(nullptr), [&](auto&& result) {
      T* obj;
      if constexpr (requires { result.ok(); }) {
        if (!result.ok()) {
          throwError(realm.isolate(), result.error());
          return;
        }
        obj = result.value();
      } else {
        obj = result;
      }
      obj->attach(realm, info.This(), &T::kType);
      // A class whose constructor made JS values it must keep (traced slots need the
      // wrapper) stores them here: void attached(Realm&).
      if constexpr (requires(T* t) { t->attached(realm); }) obj->attached(realm);
      info.GetReturnValue().Set(info.This());
    });
  }
  template <auto... fns>
  static void methodCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    T* s = self(realm, info);
    if (!s) return;
    detail::dispatch<fns...>(context(realm, info), info, s,
                             [&](auto&& r) { detail::setReturn(realm, info, std::move(r)); });
  }
  template <auto... fns>
  static void staticCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    detail::dispatch<fns...>(context(realm, info), info, static_cast<T*>(nullptr),
                             [&](auto&& r) { detail::setReturn(realm, info, std::move(r)); });
  }
  template <auto fn>
  static void promiseCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::TryCatch tc(info.GetIsolate());
    methodCallback<fn>(info);
    detail::settlePromise(info, tc);
  }
  template <auto fn>
  static void staticPromiseCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    v8::TryCatch tc(info.GetIsolate());
    staticCallback<fn>(info);
    detail::settlePromise(info, tc);
  }
  template <auto set>
  static void setterCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    T* s = nullptr;
    if constexpr (detail::Signature<decltype(set)>::kMember) {
      if (!(s = self(realm, info))) return;
    }
    ArgContext base = context(realm, info);
    base.setter = true;
    if (info.Length() < 1) {
      realm.throwError(detail::arityError(base, 1, 0));
      return;
    }
    detail::callConverted<set>(base, info, s,
                               [&](auto&& r) { detail::setReturn(realm, info, std::move(r)); });
  }
  template <auto pairAt, int kind>
  static void pairIteratorCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    if (!self(realm, info)) return;
    using It = detail::PairIterator<T, pairAt>;
    auto* it = new It(typename It::Kind(kind));
    v8::Local<v8::Object> obj = wrap(realm, it);
    it->setTraced(realm, 0, info.This());
    info.GetReturnValue().Set(obj);
  }
  // https://webidl.spec.whatwg.org/#es-forEach: the list is re-read after each call, so the
  // callback may change it.
  template <auto pairAt>
  static void forEachCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    T* s = self(realm, info);
    if (!s) return;
    ArgContext cx = context(realm, info);
    if (info.Length() < 1) {
      realm.throwError(detail::arityError(cx, 1, 0));
      return;
    }
    cx.index = 1;
    v8::Local<v8::Function> callback;
    if (!Converter<v8::Local<v8::Function>>::from(cx, info[0], &callback)) return;
    v8::Local<v8::Value> thisArg = info[1];  // undefined when absent
    for (size_t i = 0;; ++i) {
      auto pair = (s->*pairAt)(realm, i);
      if (!pair) break;
      v8::Local<v8::Value> args[] = {toJs(realm, pair->second), toJs(realm, pair->first),
                                     info.This()};
      if (callback->Call(realm.context(), thisArg, 3, args).IsEmpty()) return;
    }
  }
  template <auto nextValue>
  static void asyncIteratorCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    if (!self(realm, info)) return;
    using It = detail::AsyncIterator<T, nextValue>;
    auto* it = new It();
    v8::Local<v8::Object> obj = wrap(realm, it);
    it->setTraced(realm, It::kTargetSlot, info.This());
    info.GetReturnValue().Set(obj);
  }

  Realm& realm_;
  v8::Local<v8::FunctionTemplate> tmpl_;
  v8::Local<v8::FunctionTemplate> parent_;
};

namespace detail {
// WebIDL: an inheriting interface object's [[Prototype]] is its parent's interface object
// (Inherit() chains only the prototypes). Instantiates t.
void chainInterfaceObjects(Realm& realm, v8::Local<v8::FunctionTemplate> t,
                           v8::Local<v8::FunctionTemplate> parent);
template <typename T>
void describeClass(Realm& realm, v8::Local<v8::FunctionTemplate> t) {
  ClassBuilder<T> b(realm, t);
  T::describe(b);
  if (!b.parent().IsEmpty()) chainInterfaceObjects(realm, t, b.parent());
}
int nextClassId();
}  // namespace detail

// A small number per wrapped class, the same in every realm.
template <typename T>
int classId() {
  static const int id = detail::nextClassId();
  return id;
}

// Builds T's template from T::describe, once per realm (cached by the realm).
template <typename T>
v8::Local<v8::FunctionTemplate> classTemplate(Realm& realm) {
  return realm.classTemplate(classId<T>(), &T::kType, &detail::describeClass<T>);
}

// Installs T's constructor on the global object.
template <typename T>
void installClass(Realm& realm) {
  realm.installClass(classId<T>(), &T::kType, &detail::describeClass<T>);
}

// Creates a JS object of T's class for a native made in C++ (not via `new` in JS).
template <typename T>
v8::Local<v8::Object> wrap(Realm& realm, T* native) {
  v8::Local<v8::Object> obj =
      realm.instanceTemplate(classId<T>(), &T::kType, &detail::describeClass<T>)
          ->NewInstance(realm.context())
          .ToLocalChecked();
  native->attach(realm, obj, &T::kType);
  return obj;
}

// The same for a native owned by request memory, reached through a slot of the realm's
// (Realm::acquireSlot); release the slot before the native dies.
template <typename T>
v8::Local<v8::Object> wrapInSlot(Realm& realm, T* native, Slot* slot) {
  v8::Local<v8::Object> obj =
      realm.instanceTemplate(classId<T>(), &T::kType, &detail::describeClass<T>)
          ->NewInstance(realm.context())
          .ToLocalChecked();
  slot->target = native;
  Wrappable::attachThroughSlot(obj, &T::kType, slot);
  return obj;
}

}  // namespace torus::js
