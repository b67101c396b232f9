// CpuBudget: the cgroup v2 cpu.max of the process's cgroup and its
// ancestors, the tightest winning, rounded up by CpusAllowed.
#include "adapter/runtime/cpu_budget.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "test/unit/temp_dir.h"

namespace metrics_adapter {
namespace {

void WriteCpuMax(const std::string& dir, const std::string& content) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/cpu.max") << content;
}

TEST_CASE("cpu.max: a quota over a period, or no limit") {
  CHECK(ParseCpuMax("150000 100000\n") == 1.5);
  CHECK(ParseCpuMax("100000 100000") == 1.0);
  CHECK_FALSE(ParseCpuMax("max 100000\n"));
  CHECK_FALSE(ParseCpuMax(""));
  CHECK_FALSE(ParseCpuMax("150000 0"));
  CHECK_FALSE(ParseCpuMax("1.5 100000"));
}

TEST_CASE("the tightest limit of the own cgroup and its ancestors") {
  TempDir root("cgroup");
  WriteCpuMax(root / "kubepods", "400000 100000\n");
  WriteCpuMax(root / "kubepods/pod1", "max 100000\n");
  WriteCpuMax(root / "kubepods/pod1/c1", "150000 100000\n");
  CHECK(CgroupCpuLimit("0::/kubepods/pod1/c1\n", root.path()) == 1.5);
  CHECK(CgroupCpuLimit("0::/kubepods/pod1\n", root.path()) == 4.0);
  // A container's own namespace: its cgroup is "/", its limit at the root.
  TempDir container("cgroup");
  WriteCpuMax(container.path(), "200000 100000\n");
  CHECK(CgroupCpuLimit("0::/\n", container.path()) == 2.0);
  // cgroup v1 only, or no cpu.max anywhere: no limit.
  CHECK_FALSE(CgroupCpuLimit("4:memory:/x\n1:cpu:/\n", root.path()));
  CHECK_FALSE(CgroupCpuLimit("0::/elsewhere\n", root.path() + "/missing"));
  CHECK(CpusAllowed() >= 1);
}

}  // namespace
}  // namespace metrics_adapter
