import HTTPTypes

extension HTTPFields {
    /// Whether a field is named `name` or `other` (when given). `HTTPFields.contains` and its subscript compare
    /// every field's name with the one sought as strings (about 80 instructions a field on this machine); this
    /// compares lengths first, so a field with another name costs a few instructions. For the lookups every
    /// request makes.
    package func contains(named name: HTTPField.Name, or other: HTTPField.Name? = nil) -> Bool {
        let wanted = name.canonicalName
        let wantedLength = wanted.utf8.count
        let alternative = other?.canonicalName
        let alternativeLength = alternative?.utf8.count ?? -1
        for index in indices {
            let length = self[index].name.canonicalName.utf8.count
            if length == wantedLength && self[index].name.canonicalName == wanted { return true }
            if length == alternativeLength && self[index].name.canonicalName == alternative { return true }
        }
        return false
    }
}
