package channelview

import "testing"

func TestMrkdwn(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"bold", "*Failed on 1 of 2*", "<b>Failed on 1 of 2</b>"},
		{"italic and strike", "_slow_ and ~gone~", "<i>slow</i> and <s>gone</s>"},
		{"bold italic", "*_both_*", "<b><i>both</i></b>"},
		{"not bold inside a word", "a*b*c", "a*b*c"},
		{"code keeps markers", "`*not bold*`", "<code>*not bold*</code>"},
		{"code block", "```line 1\n<b>x</b>```", `<pre class="code">line 1` + "\n" + `&lt;b&gt;x&lt;/b&gt;</pre>`},
		{"link", "<https://example.com/a?b=1&amp;c=2|the console>", `<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">the console</a>`},
		{"bare link", "<https://example.com>", `<a href="https://example.com" rel="noopener noreferrer">https://example.com</a>`},
		{"bold link", "*<https://example.com|here>*", `<b><a href="https://example.com" rel="noopener noreferrer">here</a></b>`},
		{"here", "<!here> look", `<span class="mention">@here</span> look`},
		{"user", "<@U123ABC>", `<span class="mention">@U123ABC</span>`},
		{"channel link", "<#C123|ops>", `<span class="mention">#ops</span>`},
		{"user group", "<!subteam^S1|@oncall>", `<span class="mention">@oncall</span>`},
		{"date shows its fallback", "since <!date^1777908600^{date_num}|2026-05-04 15:30 UTC>", `since <span class="date">2026-05-04 15:30 UTC</span>`},
		{"escaped text stays text", "&lt;!channel&gt; &amp;lt;b&amp;gt;", "&lt;!channel&gt; &amp;lt;b&amp;gt;"},
		{"emoji", ":x: Failed", `<span class="emoji" title=":x:">❌</span> Failed`},
		{"unknown emoji stays", ":not_an_emoji:", ":not_an_emoji:"},
		{"quote", "&gt; quoted\nnot", `<span class="quote">quoted</span><br>not`},
		{"newline", "a\nb", "a<br>b"},
		{"javascript link is text", "<javascript:alert(1)|click>", "click"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Mrkdwn(tc.in); got != tc.want {
				t.Errorf("Mrkdwn(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}
