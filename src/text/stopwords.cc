// Stop words of both languages (ours): function words, pronouns, particles and the filler of
// visit notes ("今天", "客户表示") that carry no topic. Only keyword statistics skip them;
// sentiment and intent see every word (negations such as 不/没 matter there).
#include <string>
#include <unordered_set>

#include "text/segment.h"

namespace keel::text {

bool IsStopWord(const std::string& norm) {
  static const std::unordered_set<std::string> kStop = {
      // Chinese
      "的", "了", "是", "在", "我", "有", "和", "就", "不", "人", "都", "一", "一个", "上", "也", "很", "到", "说",
      "要", "去", "你", "会", "着", "没有", "看", "好", "自己", "这", "那", "他", "她", "它", "们", "我们", "你们",
      "他们", "她们", "这个", "那个", "什么", "吗", "呢", "吧", "啊", "哦", "嗯", "呀", "哈", "还", "又", "把", "被",
      "让", "给", "对", "从", "与", "及", "等", "但", "而", "或", "如果", "因为", "所以", "已经", "可以", "需要",
      "进行", "表示", "今天", "昨天", "明天", "目前", "比较", "还是", "就是", "这样", "那样", "一下", "一些", "这些",
      "那些", "之后", "之前", "以及", "然后", "时候", "现在", "其他", "其中", "为了", "通过", "关于", "并", "并且",
      "而且", "但是", "不过", "虽然", "可能", "应该", "能", "能够", "想", "过", "再", "才", "只", "还有", "以后",
      "以前", "此", "该", "其", "之", "于", "以", "为", "所", "如", "若", "则", "即", "因", "由", "向", "跟", "比",
      "得", "地", "么", "呗", "嘛", "啦", "咯", "哟", "些", "个", "次", "位", "家", "里", "中", "内", "外", "下",
      "客户", "客户表示", "表达", "沟通", "情况", "方面", "问题上", "一直", "非常", "特别", "比较", "有点", "已",
      "没", "最", "更", "太", "挺", "真", "蛮", "多", "少", "大", "小", "两", "几", "每", "各", "本", "来", "做",
      "用", "后", "前", "时", "年", "月", "日", "号", "点", "分",
      // English
      "a", "an", "the", "and", "or", "but", "if", "then", "of", "to", "in", "on", "at", "by", "for", "with",
      "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these",
      "those", "i", "we", "you", "he", "she", "they", "me", "us", "him", "her", "them", "my", "our", "your",
      "his", "their", "do", "does", "did", "have", "has", "had", "will", "would", "can", "could", "should",
      "may", "might", "must", "shall", "not", "no", "so", "too", "very", "just", "also", "about", "into",
      "over", "after", "before", "than", "there", "here", "what", "which", "who", "whom", "when", "where",
      "why", "how", "all", "any", "some", "more", "most", "other", "such", "only", "own", "same", "up", "out",
      "again", "once", "today", "yesterday", "customer", "said", "says", "s", "t", "re", "ve", "ll", "d", "m"};
  return kStop.count(norm) > 0;
}

}  // namespace keel::text
