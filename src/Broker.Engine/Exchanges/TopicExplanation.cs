using System.Text;

namespace Broker.Engine.Exchanges;

/// <summary>
/// Words why a topic binding key matches a routing key or not. The verdict comes from the exchange's
/// trie; this only finds the words to say it with (what each wildcard stood for, or the first word
/// that cannot match). Cold path: the management API's explain.
/// </summary>
internal static class TopicExplanation
{
    public static string Explain(string pattern, string key, bool matched)
    {
        var p = Split(pattern);
        var k = Split(key);
        return matched ? Matched(p, k) : NotMatched(p, k);
    }

    private static string[] Split(string text) => text.Length == 0 ? [] : text.Split('.');

    private static string Matched(string[] p, string[] k)
    {
        if (!p.Any(IsWildcard))
        {
            return "the binding key equals the routing key (no wildcards)";
        }

        var took = new List<string>();
        if (!Assign(p, 0, k, 0, took, []))
        {
            return "matches";
        }

        return "matches: " + string.Join(", ", took);
    }

    /// <summary>Finds what each wildcard stands for (the first way, # taking as few words as it can).</summary>
    private static bool Assign(string[] p, int pi, string[] k, int ki, List<string> took, HashSet<(int, int)> failed)
    {
        if (pi == p.Length)
        {
            return ki == k.Length;
        }

        if (failed.Contains((pi, ki)))
        {
            return false;
        }

        var word = p[pi];
        if (word == "#")
        {
            for (var end = ki; end <= k.Length; end++)
            {
                took.Add(end == ki ? "# stands for no words" : $"# stands for {Quote(string.Join('.', k[ki..end]))}");
                if (Assign(p, pi + 1, k, end, took, failed))
                {
                    return true;
                }

                took.RemoveAt(took.Count - 1);
            }
        }
        else if (ki < k.Length && (word == "*" || word == k[ki]))
        {
            if (word == "*")
            {
                took.Add($"* stands for {Quote(k[ki])}");
            }

            if (Assign(p, pi + 1, k, ki + 1, took, failed))
            {
                return true;
            }

            if (word == "*")
            {
                took.RemoveAt(took.Count - 1);
            }
        }

        failed.Add((pi, ki));
        return false;
    }

    private static string NotMatched(string[] p, string[] k)
    {
        var hashes = p.Count(w => w == "#");
        var fixedWords = p.Length - hashes;
        if (hashes == 0)
        {
            if (p.Length != k.Length)
            {
                var why = p.Contains("*") ? "* stands for exactly one word and there is no #" : "there are no wildcards";
                return $"{why}: the routing key has {Words(k.Length)}, the binding key {p.Length}";
            }

            for (var i = 0; i < p.Length; i++)
            {
                if (p[i] != "*" && p[i] != k[i])
                {
                    return WordDiffers(i, p[i], k[i]);
                }
            }

            return "does not match";
        }

        if (k.Length < fixedWords)
        {
            return $"the binding key needs at least {Words(fixedWords)} besides # (which may stand for none), the routing key has {Words(k.Length)}";
        }

        var first = Array.IndexOf(p, "#");
        for (var i = 0; i < first; i++)
        {
            if (p[i] != "*" && p[i] != k[i])
            {
                return WordDiffers(i, p[i], k[i]);
            }
        }

        var last = Array.LastIndexOf(p, "#");
        for (var j = 1; j < p.Length - last; j++)
        {
            var pw = p[^j];
            var kw = k[^j];
            if (pw != "*" && pw != kw)
            {
                return WordDiffers(k.Length - j, pw, kw) + " (counting from the end, after the last #)";
            }
        }

        var middle = p[(first + 1)..last].Where(w => w != "#").ToArray();
        return $"the words between the # wildcards ({string.Join(", ", middle.Select(Quote))}) do not occur in that order in the rest of the routing key";
    }

    private static string WordDiffers(int index, string expected, string actual)
    {
        var text = new StringBuilder($"word {index + 1} differs: the binding key has {Quote(expected)}, the routing key {Quote(actual)}");
        if (string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
        {
            text.Append(" (words compare case-sensitively)");
        }

        return text.ToString();
    }

    private static bool IsWildcard(string word) => word is "*" or "#";

    private static string Words(int count) => count switch { 0 => "no words", 1 => "1 word", _ => $"{count} words" };

    private static string Quote(string word) => $"\"{word}\"";
}
