#include "adapter/web/web_security.h"

#include <set>

namespace metrics_adapter {

std::optional<WebSecurity::Prepared> WebSecurity::Prepare(const std::string& path,
                                                          Diagnostics& diags,
                                                          std::vector<std::string>* files) {
  *files = {path};
  std::optional<WebConfig> config = LoadWebConfig(path, diags);
  if (!config) return std::nullopt;
  *files = WebConfigFiles(*config);
  Prepared prepared;
  prepared.files = *files;
  if (config->tls) {
    prepared.tls = TlsMaterial::Load(*config->tls, diags);
    if (!prepared.tls) return std::nullopt;
  }
  auto policy = std::make_shared<Policy>();
  if (!config->users.empty()) policy->auth = std::make_unique<BasicAuth>(std::move(config->users));
  policy->headers = std::move(config->headers);
  prepared.policy = std::move(policy);
  return prepared;
}

std::unique_ptr<WebSecurity> WebSecurity::Load(const std::string& path, Diagnostics& diags) {
  std::unique_ptr<WebSecurity> web(new WebSecurity());
  web->path_ = path;
  std::optional<Prepared> prepared = Prepare(path, diags, &web->attempted_files_);
  if (!prepared) return nullptr;
  if (prepared->tls) {
    std::string error;
    web->tls_ = TlsContext::Create(prepared->tls, &error);
    if (!web->tls_) {
      diags.Error({path}, error);
      return nullptr;
    }
  }
  web->policy_ = std::move(prepared->policy);
  web->running_files_ = std::move(prepared->files);
  return web;
}

WebSecurity::Admission WebSecurity::Admit(const char* authorization) const {
  std::shared_ptr<const Policy> policy;
  {
    std::lock_guard lock(mu_);
    policy = policy_;
  }
  Admission admission;
  admission.headers = policy->headers;
  if (policy->auth) admission.allowed = policy->auth->Allows(authorization);
  return admission;
}

std::function<void()> WebSecurity::PrepareReload(Diagnostics& diags) {
  std::vector<std::string> files;
  std::optional<Prepared> prepared = Prepare(path_, diags, &files);
  {
    std::lock_guard lock(mu_);
    attempted_files_ = std::move(files);
  }
  if (!prepared) return {};
  if ((prepared->tls != nullptr) != tls()) {
    diags.Error({path_}, std::string("\"tls_server_config\": turning TLS ") +
                             (tls() ? "off" : "on") + " takes a restart");
    return {};
  }
  return [this, prepared = std::move(*prepared)] {
    if (tls_) tls_->Update(prepared.tls);
    std::lock_guard lock(mu_);
    policy_ = prepared.policy;
    running_files_ = prepared.files;
  };
}

std::vector<std::string> WebSecurity::Files() const {
  std::lock_guard lock(mu_);
  std::set<std::string> files(running_files_.begin(), running_files_.end());
  files.insert(attempted_files_.begin(), attempted_files_.end());
  return {files.begin(), files.end()};
}

}  // namespace metrics_adapter
