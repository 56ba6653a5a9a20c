using Recoverly.Owners;

namespace Recoverly.Tests.Owners;

/// <summary>Emergency words match like the keyword classifier: whole words and phrases, case and punctuation ignored.</summary>
public class EmergencyWordsTests
{
    [Theory]
    [InlineData("The basement is FLOODING!!", "flooding")]
    [InlineData("burst-pipe in the kitchen", "burst pipe")]
    [InlineData("Pipe burst, water everywhere", "pipe burst")]
    [InlineData("we have NO HEAT.", "no heat")]
    [InlineData("No A.C. since noon", null)]
    [InlineData("no ac since noon", "no AC")]
    [InlineData("I think I smell gas", "smell gas")]
    [InlineData("I smell gasoline in the garage", null)]
    [InlineData("The faucet is leaking a bit", null)]
    [InlineData("Need a quote for a new furnace", null)]
    [InlineData("Firewood delivery?", null)]
    [InlineData("Ｆｉｒｅ in the panel", "fire")]
    [InlineData("", null)]
    public void Default_words_match_whole_words_only(string text, string? expected) =>
        Assert.Equal(expected, EmergencyWords.Match(text, EmergencyWords.Defaults));

    [Fact]
    public void Gasoline_does_not_match_gas_but_gas_does()
    {
        Assert.Null(EmergencyWords.Match("gasoline smell", ["gas"]));
        Assert.Equal("gas", EmergencyWords.Match("Gas!!! smell in the hall", ["gas"]));
    }

    [Fact]
    public void The_suggested_list_is_itself_valid()
    {
        Assert.Empty(EmergencyWords.Parse(EmergencyWords.Store(EmergencyWords.Defaults), out var words));
        Assert.Equal(EmergencyWords.Defaults, words);
    }
}
