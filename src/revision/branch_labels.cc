#include "retort/revision/branch_labels.h"

#include "retort/common/text.h"

namespace retort {

const std::shared_ptr<const BranchLabels>& BranchLabels::Empty() {
  static const std::shared_ptr<const BranchLabels> empty = std::make_shared<const BranchLabels>();
  return empty;
}

void BranchLabelSets::Add(int node, int group) {
  int& set = set_of_[static_cast<size_t>(node)];
  const std::uint64_t key = static_cast<std::uint64_t>(set) << 32 | static_cast<std::uint32_t>(group);
  if (key != last_key_) {
    auto [it, inserted] = next_.try_emplace(key, static_cast<int>(steps_.size()));
    if (inserted) steps_.push_back(Step{set, group});
    last_key_ = key;
    last_set_ = it->second;
  }
  set = last_set_;
}

std::vector<std::shared_ptr<const BranchLabels>> BranchLabelSets::Build(
    const std::function<const std::vector<std::string>&(int group)>& labels_of) const {
  std::vector<std::shared_ptr<const BranchLabels>> lists(steps_.size());
  lists[0] = BranchLabels::Empty();
  std::vector<int> groups;
  std::vector<std::shared_ptr<const BranchLabels>> out;
  out.reserve(set_of_.size());
  for (int set : set_of_) {
    std::shared_ptr<const BranchLabels>& list = lists[static_cast<size_t>(set)];
    if (!list) {
      groups.clear();
      for (int s = set; s != 0; s = steps_[static_cast<size_t>(s)].parent) {
        groups.push_back(steps_[static_cast<size_t>(s)].group);
      }
      auto built = std::make_shared<BranchLabels>();
      for (auto g = groups.rbegin(); g != groups.rend(); ++g) {
        const std::vector<std::string>& labels = labels_of(*g);
        built->names.insert(built->names.end(), labels.begin(), labels.end());
      }
      built->joined = Join(built->names, ", ");
      list = std::move(built);
    }
    out.push_back(list);
  }
  return out;
}

}  // namespace retort
