#include "env.h"

#include "region.h"

namespace mman {

EnvData* EnvOf(napi_env env) {
  void* data = nullptr;
  if (napi_get_instance_data(env, &data) == napi_ok && data != nullptr) return static_cast<EnvData*>(data);
  EnvData* created = new EnvData();
  napi_set_instance_data(
      env, created,
      [](napi_env env, void* data, void*) {
        EnvData* d = static_cast<EnvData*>(data);
        // The env's last callback: every finalizer of its buffers has run.
        if (d->regions != nullptr) EndEnvRegions(env, d->regions);
        if (d->detacher != nullptr) napi_delete_reference(env, d->detacher);
        delete d;
      },
      nullptr);
  return created;
}

void InitEnv(napi_env env) {
  EnvOf(env);
}

// Node-API refuses anything that may run JS once an env is stopping (Node
// sets that before it joins a worker's thread, or tears an env down);
// creating an empty ArrayBuffer is the cheapest such call without side effects.
bool CanCallIntoJs(napi_env env) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  void* bytes = nullptr;
  napi_value probe = nullptr;
  const bool can = napi_create_arraybuffer(env, 0, &bytes, &probe) == napi_ok;
  napi_close_handle_scope(env, scope);
  return can;
}

void NoticeTeardown(napi_env env) {
  EnvData* data = EnvOf(env);
  if (!data->tearingDown) data->tearingDown = !CanCallIntoJs(env);
}

bool TearingDown(napi_env env) {
  return EnvOf(env)->tearingDown;
}

}  // namespace mman
