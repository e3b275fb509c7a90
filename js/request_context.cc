#include "js/request_context.h"

#include <cstring>

#include "base/check.h"
#include "js/api/request.h"
#include "js/binding.h"
#include "js/realm.h"

namespace torus::js {

void Cancelable::unlink() {
  if (!owner_) return;
  if (prev_) {
    prev_->next_ = next_;
  } else {
    owner_->cancelables_ = next_;
  }
  if (next_) next_->prev_ = prev_;
  --owner_->cancelableCount_;
  owner_ = nullptr;
  prev_ = next_ = nullptr;
}

void RequestContext::begin(net::Exchange* ex, uint64_t id) {
  TORUS_CHECK(refs_ == 0 && !exchange_);
  exchange_ = ex;
  request_ = ex->request();
  body_ = request_.body ? request_.body->view() : std::string_view();
  aborted_ = false;
  answered = false;
  id_ = id;
  refs_ = 1;  // the exchange's
}

void RequestContext::exchangeEnded(bool aborted) {
  TORUS_CHECK(exchange_);
  aborted_ = aborted;
  exchange_ = nullptr;
  if (refs_ > 1) {
    // Outlives the exchange: what the request reads moves into this context's heap. The
    // header array and every string are copied; the rest of the struct is plain values.
    request_.method = heap_.copy(request_.method);
    request_.target = heap_.copy(request_.target);
    request_.host = heap_.copy(request_.host);
    if (!request_.tlsVersion.empty()) {
      request_.tlsVersion = heap_.copy(request_.tlsVersion);
      request_.tlsCipher = heap_.copy(request_.tlsCipher);
      request_.tlsServerName = heap_.copy(request_.tlsServerName);
    }
    auto* headers = static_cast<net::HttpHeader*>(
        heap_.allocate(sizeof(net::HttpHeader) * request_.headerCount, alignof(net::HttpHeader)));
    for (uint32_t i = 0; i < request_.headerCount; ++i) {
      headers[i] = {heap_.copy(request_.headers[i].name), heap_.copy(request_.headers[i].value)};
    }
    request_.headers = headers;
    request_.body = nullptr;
    body_ = heap_.copy(body_);
  }
  unref();
}

void RequestContext::unref() {
  TORUS_CHECK(refs_ > 0);
  if (--refs_ == 0) end();
}

void RequestContext::add(Cancelable* c) {
  TORUS_CHECK(!c->owner_);
  c->owner_ = this;
  c->prev_ = nullptr;
  c->next_ = cancelables_;
  if (cancelables_) cancelables_->prev_ = c;
  cancelables_ = c;
  ++cancelableCount_;
}

void RequestContext::end() {
  // What the request started and is still pending stops now. A cancel may add to the list
  // (it should not; bounded anyway by taking one at a time).
  while (Cancelable* c = cancelables_) {
    c->unlink();
    c->cancelByContext();
  }
  // JS can no longer reach the natives in the heap, then they go with it.
  realm_.releaseSlot(slot);
  realm_.releaseSlot(requestSlot);
  slot = requestSlot = nullptr;
  request = nullptr;
  bodySource = nullptr;
  bodySink = nullptr;
  request_ = net::HttpRequest{};
  body_ = {};
  heap_.release();
  owner_.contextEnded(this);  // may reuse this context at once
}

RequestContext* RequestContext::current(v8::Isolate* iso) {
  v8::Local<v8::Value> tag = iso->GetCurrentContext()->GetContinuationPreservedEmbedderData();
  if (!tag->IsObject()) return nullptr;
  Request* r = Wrappable::unwrap<Request>(tag);
  return r ? r->incomingContext() : nullptr;
}

RequestContext::Scope::Scope(v8::Local<v8::Context> context, v8::Local<v8::Value> tag)
    : context_(context), previous_(context->GetContinuationPreservedEmbedderData()) {
  context->SetContinuationPreservedEmbedderData(tag);
}

RequestContext::Scope::~Scope() { context_->SetContinuationPreservedEmbedderData(previous_); }

}  // namespace torus::js
