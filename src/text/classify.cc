#include "text/classify.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <unistd.h>

#include <fasttext/fasttext.h>

namespace keel::text {
namespace {

// ---- The sentiment lexicon (ours): words, their weights, negations and degree words ----
const std::unordered_map<std::string, double>& Lexicon() {
  static const std::unordered_map<std::string, double> kWords = [] {
    std::unordered_map<std::string, double> m;
    for (const char* w : {"好", "满意", "专业", "及时", "快", "认可", "喜欢", "不错", "划算", "优惠", "稳定", "省电", "安静",
                          "推荐", "感谢", "谢谢", "热情", "耐心", "干净", "方便", "准时", "靠谱", "放心", "值得", "实惠",
                          "周到", "细心", "完美", "舒服", "舒适", "漂亮", "好用", "好评", "点赞", "赞", "棒", "给力", "惊喜",
                          "高效", "顺利", "愉快", "信赖", "信任", "支持", "合作愉快", "积极", "爽快", "好吃", "新鲜", "美味",
                          "香", "超值", "快速", "迅速", "贴心", "清楚", "负责", "到位", "welcome", "good", "great",
                          "excellent", "happy", "satisfied", "fast", "quick", "helpful", "recommend", "love", "like",
                          "nice", "perfect", "reliable", "friendly", "professional", "thanks", "thank", "smooth",
                          "quiet", "efficient", "pleased", "positive", "impressed", "amazing", "awesome"}) {
      m[w] = 1.0;
    }
    for (const char* w : {"差", "慢", "贵", "投诉", "不满", "退货", "退款", "故障", "坏", "坏了", "漏水", "噪音", "噪声",
                          "延迟", "拖延", "失望", "麻烦", "缺货", "断货", "质量差", "态度差", "难用", "垃圾", "糟糕", "生气",
                          "愤怒", "抱怨", "差评", "问题", "毛病", "异响", "漏电", "不制冷", "不制热", "返修", "维修",
                          "敷衍", "推诿", "欺骗", "骗", "虚假", "后悔", "难吃", "凉", "冷了", "咸", "淡", "油腻", "少",
                          "慢死", "恶心", "变质", "洒", "漏", "错", "送错", "晚", "迟到", "超时", "催", "等了", "不好",
                          "降价", "压价", "流失", "丢单", "竞品", "bad", "poor", "slow", "expensive", "broken", "complaint",
                          "complain", "refund", "late", "delay", "delayed", "rude", "disappointed", "noisy", "noise",
                          "leak", "leaking", "faulty", "defect", "defective", "angry", "terrible", "awful", "worst",
                          "problem", "issue", "cancel", "waste", "negative", "unhappy", "annoyed", "cold"}) {
      m[w] = -1.0;
    }
    return m;
  }();
  return kWords;
}

const std::unordered_set<std::string>& Negations() {
  static const std::unordered_set<std::string> k = {"不", "没", "没有", "别", "未", "无", "非", "不是", "不太", "不够",
                                                    "不会", "不再", "毫无", "not", "no", "never", "isn't", "wasn't",
                                                    "don't", "didn't", "doesn't", "hardly", "without"};
  return k;
}

const std::unordered_map<std::string, double>& Degrees() {
  static const std::unordered_map<std::string, double> k = {
      {"很", 1.5}, {"非常", 1.8}, {"太", 1.8}, {"特别", 1.8}, {"十分", 1.7}, {"超级", 1.8}, {"极其", 2.0}, {"真", 1.4},
      {"挺", 1.2}, {"比较", 1.1}, {"有点", 0.8}, {"有些", 0.8}, {"稍微", 0.7}, {"更", 1.3}, {"最", 1.8}, {"超", 1.6},
      {"very", 1.5}, {"really", 1.5}, {"so", 1.4}, {"extremely", 2.0}, {"quite", 1.2}, {"too", 1.6}, {"a bit", 0.8}};
  return k;
}

std::string TempPath(const char* suffix) {
  const char* dir = std::getenv("TMPDIR");
  std::string tpl = std::string(dir && *dir ? dir : "/tmp") + "/keel-ft-XXXXXX";
  std::vector<char> buf(tpl.begin(), tpl.end());
  buf.push_back('\0');
  int fd = mkstemp(buf.data());
  if (fd < 0) return "";
  close(fd);
  std::string p(buf.data());
  std::remove(p.c_str());
  return p + suffix;
}

std::string Label(const std::string& l) { return "__label__" + l; }

}  // namespace

Sentiment LexiconSentiment(const std::vector<Token>& tokens) {
  const auto& lex = Lexicon();
  const auto& neg = Negations();
  const auto& deg = Degrees();
  double pos = 0, bad = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& w = tokens[i].norm;
    auto it = lex.find(w);
    if (it == lex.end()) {
      // "不好" / "没问题" written as one word by the dictionary: a negation glued to a lexicon word.
      for (const char* n : {"不", "没"}) {
        std::string p = n;
        if (w.size() > p.size() && w.compare(0, p.size(), p) == 0) {
          auto inner = lex.find(w.substr(p.size()));
          if (inner != lex.end()) {
            double v = -inner->second * (inner->second < 0 ? 0.8 : 1.0);
            (v > 0 ? pos : bad) += std::fabs(v);
          }
        }
      }
      continue;
    }
    double v = it->second, scale = 1.0;
    bool negated = false;
    for (size_t back = 1; back <= 3 && back <= i; ++back) {
      const std::string& p = tokens[i - back].norm;
      if (neg.count(p)) negated = !negated;
      if (auto d = deg.find(p); d != deg.end()) scale = std::max(scale, d->second);
      if (lex.count(p)) break;
    }
    // "不贵" is mildly positive, "不好" clearly negative.
    if (negated) v = -v * (v < 0 ? 0.6 : 1.0);
    (v > 0 ? pos : bad) += std::fabs(v) * scale;
  }
  Sentiment s;
  s.model = "lexicon";
  double total = pos + bad;
  s.score = total > 0 ? (pos - bad) / (total + 1.0) : 0.0;
  s.score = std::round(s.score * 1000) / 1000;
  s.label = s.score > 0.05 ? "positive" : s.score < -0.05 ? "negative" : "neutral";
  s.confidence = std::round(std::min(1.0, total / 3.0) * 1000) / 1000;
  return s;
}

std::string ClassifierInput(const std::vector<Token>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    std::string w = t.norm;
    for (char& c : w) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '_';
    }
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

Classifier::Classifier() : ft_(std::make_unique<fasttext::FastText>()) {}
Classifier::~Classifier() = default;

Result<std::unique_ptr<Classifier>> Classifier::Train(const std::vector<Example>& examples, const Options& opt) {
  if (examples.empty()) return Status::Invalid("text.no_examples", "nothing to train on", "没有可训练的样本");
  std::string input = TempPath(".txt"), output = TempPath("");
  if (input.empty() || output.empty()) return Status::Internal("cannot create a temporary file for fastText");
  {
    std::ofstream f(input);
    for (const auto& e : examples) {
      for (const auto& l : e.labels) f << Label(l) << ' ';
      f << e.words << '\n';
    }
    if (!f) return Status::Internal("cannot write fastText's training file");
  }
  fasttext::Args a;
  a.input = input;
  a.output = output;
  a.model = fasttext::model_name::sup;
  a.loss = opt.multi_label ? fasttext::loss_name::ova : fasttext::loss_name::softmax;
  a.epoch = opt.epoch;
  a.lr = opt.lr;
  a.wordNgrams = opt.word_ngrams;
  a.dim = opt.dim;
  a.minCount = opt.min_count;
  a.thread = opt.threads;
  a.bucket = 1 << 16;  // hashed word pairs: keeps a tenant's model a few MB
  a.minn = 0;
  a.maxn = 0;
  a.verbose = 0;
  a.saveOutput = false;
  std::unique_ptr<Classifier> c(new Classifier());
  try {
    c->ft_->train(a);
  } catch (const std::exception& ex) {
    std::remove(input.c_str());
    return Status::Invalid("text.train_failed", std::string("fastText could not train: ") + ex.what(),
                           std::string("fastText 训练失败：") + ex.what());
  }
  std::remove(input.c_str());
  return c;
}

Result<std::string> Classifier::Save() const {
  std::string path = TempPath(".bin");
  try {
    ft_->saveModel(path);
  } catch (const std::exception& ex) {
    return Status::Internal(std::string("fastText could not save: ") + ex.what());
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(path.c_str());
  return ss.str();
}

Result<std::unique_ptr<Classifier>> Classifier::Load(const std::string& bytes) {
  std::unique_ptr<Classifier> c(new Classifier());
  std::string path = TempPath(".bin");
  {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  try {
    c->ft_->loadModel(path);  // checks the file's signature and version
  } catch (const std::exception& ex) {
    std::remove(path.c_str());
    return Status::Internal(std::string("fastText could not load the model: ") + ex.what());
  }
  std::remove(path.c_str());
  return c;
}

std::vector<std::pair<std::string, double>> Classifier::Predict(const std::string& words, int k, double threshold) const {
  std::vector<std::pair<std::string, double>> out;
  std::istringstream in(words + "\n");
  std::vector<std::pair<fasttext::real, std::string>> pred;
  int n = k > 0 ? k : static_cast<int>(ft_->getDictionary()->nlabels());
  try {
    ft_->predictLine(in, pred, n, static_cast<fasttext::real>(threshold));
  } catch (const std::exception&) {
    return out;
  }
  for (const auto& [p, l] : pred) out.push_back({l.rfind("__label__", 0) == 0 ? l.substr(9) : l, static_cast<double>(p)});
  return out;
}

Sentiment ModelSentiment(const Classifier& model, const std::vector<Token>& tokens, int version) {
  Sentiment s;
  s.model = "fasttext:v" + std::to_string(version);
  double pos = 0, neu = 0, neg = 0;
  for (const auto& [l, p] : model.Predict(ClassifierInput(tokens))) {
    if (l == "pos") pos = p;
    else if (l == "neg") neg = p;
    else if (l == "neu") neu = p;
  }
  s.score = std::round((pos - neg) * 1000) / 1000;
  double best = std::max({pos, neu, neg});
  s.label = best == pos ? "positive" : best == neg ? "negative" : "neutral";
  s.confidence = std::round(best * 1000) / 1000;
  return s;
}

const std::vector<IntentDef>& BuiltinIntents() {
  static const std::vector<IntentDef> k = {
      {"price_objection", "价格异议", "price objection",
       {"价格", "太贵", "贵", "降价", "便宜", "折扣", "优惠", "报价", "预算", "砍价", "压价", "价格高", "比价", "让利", "返点",
        "price", "expensive", "discount", "budget", "cheaper", "pricing", "quote"},
       "整理竞品价格对比与价值话术，必要时申请特价审批", "prepare a price/value comparison and request a special price if needed"},
      {"competitor", "竞品动态", "competitor mention",
       {"竞品", "竞争对手", "格力", "美的", "海尔", "奥克斯", "海信", "tcl", "小米", "志高", "长虹", "松下", "大金", "三菱",
        "对手", "competitor", "competition", "rival", "gree", "midea", "haier"},
       "收集竞品报价和政策，制定针对性的应对方案", "collect the competitor's offer and policy and plan a response"},
      {"stock_out", "缺货断货", "stock-out",
       {"缺货", "断货", "没货", "库存", "到货", "补货", "货期", "发货慢", "等货", "现货", "调货", "out of stock", "stock",
        "backorder", "inventory", "shortage"},
       "核对库存与在途，协调调货或加急补货", "check stock and shipments in transit; arrange a transfer or rush replenishment"},
      {"display", "陈列与物料", "display / merchandising",
       {"陈列", "堆头", "展台", "样机", "海报", "物料", "价签", "端架", "展示", "橱窗", "布展", "门头", "display", "shelf",
        "merchandising", "poster", "signage", "demo unit"},
       "安排督导检查陈列，补齐样机与物料", "send a merchandiser to fix the display and replace demo units and materials"},
      {"complaint", "客户投诉", "complaint",
       {"投诉", "不满", "抱怨", "差评", "退货", "退款", "维修", "故障", "坏了", "漏水", "噪音", "异响", "态度差", "返修",
        "售后", "complaint", "complain", "broken", "refund", "repair", "faulty", "defect", "angry"},
       "24小时内回访客户，协调售后处理并跟踪结果", "call the customer back within 24 hours and follow the service case to its end"},
      {"purchase_intent", "采购意向", "purchase intent",
       {"意向", "采购", "下单", "签约", "订货", "试用", "感兴趣", "购买", "合同", "招标", "订单", "批量", "集采", "备货",
        "interested", "order", "purchase", "sign", "contract", "tender", "buy", "trial"},
       "尽快提交方案与报价，约定下一步时间", "send the proposal and quote soon and agree the next step"},
      {"payment", "付款与信用", "payment / credit",
       {"付款", "账期", "回款", "欠款", "授信", "发票", "结算", "首付", "尾款", "对账", "赊账", "信用", "payment", "invoice",
        "credit", "overdue", "pay", "receivable"},
       "与财务核对账期和授信，约定回款计划", "check terms and credit with finance and agree a payment plan"},
  };
  return k;
}

std::vector<std::string> RuleIntents(const std::vector<IntentDef>& defs, const std::vector<Token>& tokens,
                                     const std::string& normalized_text) {
  std::unordered_set<std::string> words;
  for (const auto& t : tokens) words.insert(t.norm);
  std::vector<std::string> out;
  for (const auto& d : defs) {
    for (const auto& term : d.terms) {
      bool han = !term.empty() && static_cast<unsigned char>(term[0]) >= 0xE0;
      // Han terms also match inside longer words ("价格太高"); Latin ones only as whole words.
      if (words.count(term) || (han && CodePoints(term) >= 2 && normalized_text.find(term) != std::string::npos)) {
        out.push_back(d.code);
        break;
      }
    }
  }
  return out;
}

}  // namespace keel::text
