// The declarative binding layer: a C++ class exposed to JS declares its surface once, in a
// static describe(ClassBuilder<T>&), and the builder turns it into a V8 FunctionTemplate.
// Arguments convert through a small closed set of Converter<T> specialisations; a failed
// conversion throws a TypeError that names the argument, the method and the class:
//   "Failed to execute 'append' on 'Headers': parameter 1 is not a valid header name."
// Methods report expected failures by returning JsResult<T> holding a JsError; the binding
// throws it. No C++ exception crosses a V8 callback.
//
//   class Headers : public Wrappable {
//    public:
//     static constexpr WrapperType kType{"Headers"};
//     static void describe(ClassBuilder<Headers>& c) {
//       c.constructor<&Headers::construct>();
//       c.method<&Headers::append>("append");
//       c.getter<&Headers::size>("size");
//     }
//     static JsResult<Headers*> construct(Realm& realm, Optional<v8::Local<v8::Value>> init);
//     JsResult<void> append(Realm& realm, ByteString name, ByteString value);
//   };
//
// Lifetime: a Wrappable is owned by its JS wrapper and deleted by a weak callback after the
// wrapper is collected, or at isolate teardown (Realm keeps the list).
//
// Thread: the isolate's (one worker thread).
#pragma once

#include <v8.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

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

// ---- wrapped objects ----

struct WrapperType {
  const char* name;
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

  // The native object behind v, if v wraps a T (checked by type tag), else nullptr.
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
  v8::Global<v8::Object> wrapper_;
  Realm* realm_ = nullptr;
  Wrappable* prevLive_ = nullptr;
  Wrappable* nextLive_ = nullptr;
};

// Internal fields of every wrapper: the native (or its Slot), the type tag, and the slot
// generation (as an aligned integer; 0 for a wrapper that owns its native).
enum : int {
  kWrapperFieldObject = 0,
  kWrapperFieldType = 1,
  kWrapperFieldGeneration = 2,
  kWrapperFieldCount = 3
};

// ---- argument conversion ----

// An optional argument: undefined (or missing) converts to nullopt.
template <typename T>
using Optional = std::optional<T>;

// A string restricted to code points <= U+00FF (WebIDL ByteString), held as Latin-1 bytes.
struct ByteString {
  std::string value;
};

// Bytes of an ArrayBuffer or a view; valid during the call only.
struct BufferSource {
  std::span<const char> bytes;
  v8::Local<v8::Value> object;
};

struct ArgContext {
  Realm& realm;
  const char* className;
  const char* member;
  int index;  // 1-based, for messages
};

// Formats "Failed to execute 'member' on 'Class': parameter N <what>".
JsError argError(const ArgContext& cx, std::string_view what);

template <typename T, typename Enable = void>
struct Converter;

template <>
struct Converter<v8::Local<v8::Value>> {
  static bool from(const ArgContext&, v8::Local<v8::Value> v, v8::Local<v8::Value>* out) {
    *out = v;
    return true;
  }
};
template <>
struct Converter<bool> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, bool* out) {
    *out = v->BooleanValue(cx.realm.isolate());
    return true;
  }
};
template <>
struct Converter<double> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, double* out);
};
template <>
struct Converter<int32_t> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, int32_t* out);
};
template <>
struct Converter<uint32_t> {
  static bool from(const ArgContext& cx, v8::Local<v8::Value> v, uint32_t* out);
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
    T value;
    if (!Converter<T>::from(cx, v, &value)) return false;
    *out = std::move(value);
    return true;
  }
};

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
inline v8::Local<v8::Value> toJs(Realm& realm, int32_t v) {
  return v8::Integer::New(realm.isolate(), v);
}
inline v8::Local<v8::Value> toJs(Realm& realm, uint32_t v) {
  return v8::Integer::NewFromUnsigned(realm.isolate(), v);
}
v8::Local<v8::Value> toJs(Realm& realm, std::string_view v);  // UTF-8 -> String
inline v8::Local<v8::Value> toJs(Realm& realm, const std::string& v) {
  return toJs(realm, std::string_view(v));
}
v8::Local<v8::Value> toJs(Realm& realm, const ByteString& v);  // Latin-1 -> String
template <typename T>
v8::Local<v8::Value> toJs(Realm& realm, const std::optional<T>& v) {
  if (!v) return v8::Null(realm.isolate());
  return toJs(realm, *v);
}
template <typename T, typename = std::enable_if_t<std::is_base_of_v<Wrappable, T>>>
v8::Local<v8::Value> toJs(Realm& realm, T* obj) {
  if (!obj) return v8::Null(realm.isolate());
  return obj->wrapper(realm.isolate());
}

// ---- the builder ----

namespace detail {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// "Failed to execute 'append' on 'Headers': 2 arguments required, but only 1 present."
JsError arityError(const char* cls, const char* member, int required, int present);

template <typename T>
using Bare = std::remove_cvref_t<T>;

template <typename Tuple, size_t... I>
bool convertArgs([[maybe_unused]] Realm& realm, [[maybe_unused]] const char* cls,
                 [[maybe_unused]] const char* member,
                 [[maybe_unused]] const v8::FunctionCallbackInfo<v8::Value>& info, Tuple& args,
                 std::index_sequence<I...>) {
  // WebIDL: too few arguments for the required (non-optional) parameters is a TypeError.
  constexpr int required = (0 + ... + (IsOptional<std::tuple_element_t<I, Tuple>>::value ? 0 : 1));
  if constexpr (required > 0) {
    if (info.Length() < required) {
      realm.throwError(arityError(cls, member, required, info.Length()));
      return false;
    }
  }
  return (... && Converter<std::tuple_element_t<I, Tuple>>::from(
                     ArgContext{realm, cls, member, int(I) + 1},
                     int(I) < info.Length() ? info[int(I)] : v8::Undefined(info.GetIsolate())
                                                                  .As<v8::Value>(),
                     &std::get<I>(args)));
}

// Sets the return value from R, JsResult<R> or void.
template <typename R, typename Info>
void setReturn(Realm& realm, const Info& info, R&& r) {
  using B = Bare<R>;
  if constexpr (requires { r.ok(); r.error(); }) {
    if (!r.ok()) {
      throwError(realm.isolate(), r.error());
      return;
    }
    if constexpr (!std::is_same_v<B, JsResult<void>>) {
      info.GetReturnValue().Set(toJs(realm, r.value()));
    }
  } else {
    info.GetReturnValue().Set(toJs(realm, std::forward<R>(r)));
  }
}

template <typename F>
struct Signature;
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(Realm&, A...)> {
  using Class = C;
  using Return = R;
  using Args = std::tuple<Bare<A>...>;
};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(Realm&, A...) const> : Signature<R (C::*)(Realm&, A...)> {};
template <typename R, typename... A>
struct Signature<R (*)(Realm&, A...)> {
  using Return = R;
  using Args = std::tuple<Bare<A>...>;
};

}  // namespace detail

template <typename T>
class ClassBuilder {
 public:
  ClassBuilder(Realm& realm, v8::Local<v8::FunctionTemplate> tmpl)
      : realm_(realm), tmpl_(tmpl) {}

  // static JsResult<T*> construct(Realm&, Args...): called for `new Class(...)`; the
  // returned object is attached to the new wrapper. Without a constructor, `new` throws
  // ("Illegal constructor"), and natives are created with Realm::wrap.
  template <auto fn>
  void constructor() {
    tmpl_->SetCallHandler(&constructCallback<fn>);
  }

  // R (T::*)(Realm&, Args...): a prototype method.
  template <auto fn>
  void method(const char* name) {
    tmpl_->PrototypeTemplate()->Set(realm_.internalized(name), methodTemplate<fn>(name),
                                    v8::DontEnum);
  }
  // Symbol.iterator, and `name` unless null, are the method fn (entries() for a pair
  // iterable; a method returning `this` for an iterator).
  template <auto fn>
  void iterable(const char* name) {
    auto t = methodTemplate<fn>(name ? name : "[Symbol.iterator]");
    if (name) tmpl_->PrototypeTemplate()->Set(realm_.internalized(name), t, v8::DontEnum);
    tmpl_->PrototypeTemplate()->Set(v8::Symbol::GetIterator(realm_.isolate()), t,
                                    v8::DontEnum);
  }
  // R (*)(Realm&, Args...): a static method on the constructor.
  template <auto fn>
  void staticMethod(const char* name) {
    tmpl_->Set(realm_.internalized(name),
               v8::FunctionTemplate::New(realm_.isolate(), &staticCallback<fn>,
                                         nameData(name)),
               v8::DontEnum);
  }
  // R (T::*)(Realm&) const: a read-only accessor on the prototype.
  template <auto fn>
  void getter(const char* name) {
    tmpl_->PrototypeTemplate()->SetAccessorProperty(realm_.internalized(name),
                                                    methodTemplate<fn>(name), {},
                                                    v8::DontEnum);
  }
  v8::Local<v8::FunctionTemplate> tmpl() { return tmpl_; }
  Realm& realm() { return realm_; }

 private:
  // The member's name rides along as the callback data, for error messages.
  v8::Local<v8::Value> nameData(const char* name) {
    return v8::External::New(realm_.isolate(), const_cast<char*>(name));
  }
  static const char* memberName(const v8::FunctionCallbackInfo<v8::Value>& info) {
    return static_cast<const char*>(info.Data().As<v8::External>()->Value());
  }
  template <auto fn>
  v8::Local<v8::FunctionTemplate> methodTemplate(const char* name) {
    return v8::FunctionTemplate::New(realm_.isolate(), &methodCallback<fn>, nameData(name),
                                     v8::Signature::New(realm_.isolate(), tmpl_), 0,
                                     v8::ConstructorBehavior::kThrow);
  }

  template <auto fn>
  static void constructCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    if (!info.IsConstructCall()) {
      realm.throwError(JsError::type(std::string("Failed to construct '") + T::kType.name +
                                     "': Please use the 'new' operator."));
      return;
    }
    using Sig = detail::Signature<decltype(fn)>;
    typename Sig::Args args;
    if (!detail::convertArgs(realm, T::kType.name, "constructor", info, args,
                             std::make_index_sequence<std::tuple_size_v<typename Sig::Args>>()))
      return;
    auto result = std::apply([&](auto&&... a) { return fn(realm, std::move(a)...); }, args);
    if (!result.ok()) {
      throwError(realm.isolate(), result.error());
      return;
    }
    T* obj = result.value();
    obj->attach(realm, info.This(), &T::kType);
    info.GetReturnValue().Set(info.This());
  }
  template <auto fn>
  static void methodCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    T* self = Wrappable::unwrap<T>(info.This());
    if (!self) {
      realm.throwError(Wrappable::receiverError(info.This(), &T::kType));
      return;
    }
    using Sig = detail::Signature<decltype(fn)>;
    typename Sig::Args args;
    if (!detail::convertArgs(realm, T::kType.name, memberName(info), info, args,
                             std::make_index_sequence<std::tuple_size_v<typename Sig::Args>>()))
      return;
    if constexpr (std::is_void_v<typename Sig::Return>) {
      std::apply([&](auto&&... a) { (self->*fn)(realm, std::move(a)...); }, args);
    } else {
      detail::setReturn(realm, info, std::apply([&](auto&&... a) {
                          return (self->*fn)(realm, std::move(a)...);
                        }, args));
    }
  }
  template <auto fn>
  static void staticCallback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    Realm& realm = Realm::from(info.GetIsolate());
    using Sig = detail::Signature<decltype(fn)>;
    typename Sig::Args args;
    if (!detail::convertArgs(realm, T::kType.name, memberName(info), info, args,
                             std::make_index_sequence<std::tuple_size_v<typename Sig::Args>>()))
      return;
    detail::setReturn(realm, info,
                      std::apply([&](auto&&... a) { return fn(realm, std::move(a)...); }, args));
  }

  Realm& realm_;
  v8::Local<v8::FunctionTemplate> tmpl_;
};

namespace detail {
template <typename T>
void describeClass(Realm& realm, v8::Local<v8::FunctionTemplate> t) {
  ClassBuilder<T> b(realm, t);
  T::describe(b);
}
}  // namespace detail

namespace detail {
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
